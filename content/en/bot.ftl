## Main menu
menu-article = 📖 About osteoporosis
menu-prices = 💳 Prices
menu-book = 📝 Book a consultation
menu-review = ✍️ Leave a review
menu-reviews = ⭐ Reviews
menu-language = 🌐 Language
menu-placeholder = Choose a menu item
menu-title = Main menu: choose what you need with the buttons below.

start-greeting =
    Hello, { $name }! 👋
    I am the clinic's assistant bot. Here you can:
    • read about osteoporosis: causes, symptoms, diagnosis and treatment;
    • see the prices of our services;
    • book a consultation;
    • leave a review and read what other patients say;
    • ask a question: just type it here, and a clinic manager will answer.

    Choose an item in the menu below.
help-text =
    <b>What I can do</b>
    /menu — main menu
    /prices — prices of services
    /book — book a consultation
    /review — leave a review
    /reviews — read reviews
    /contacts — addresses, phones and opening hours
    /cancel — cancel the form you are filling in
    /mydata — what data the clinic stores about you
    /forget — erase your data
    /help — this help

    You can also use the menu buttons below.

    <b>Questions for the clinic</b>
    Any message you type here (except commands and answers to a form's questions) goes to a clinic manager. You'll get the answer in this chat.
cancel-nothing = There is nothing to cancel. Here is the main menu.
not-understood = Sorry, I didn't understand that. Please choose an item in the menu below, or type your question as a normal message: a clinic manager will read it.
stale-button = This button is no longer active. Please open the screen again from the menu.
error-generic = Sorry, something went wrong on our side. Please try again in a minute.

## Commands ("/" menu)
command-start = Start and main menu
command-menu = Main menu
command-prices = Prices of services
command-book = Book a consultation
command-review = Leave a review
command-reviews = Read reviews
command-help = Help
command-cancel = Cancel the current form

## Navigation
nav-menu = 🏠 Main menu
nav-book = 📝 Book a consultation

## Article
article-menu =
    <b>{ $title }</b>

    { $intro }

    Choose a section:
article-previous = ◀️ Back
article-next = Next ▶️
article-sections = 📚 Sections
article-position = <i>Section { $current } of { $total }</i>
article-doctor-note = ⚠️ <i>Only a doctor can prescribe these medicines and doses. They have contraindications: do not start, stop or change them on your own, and always consult a specialist first.</i>

## Prices
price-from = from { $amount } ₽
prices-book-service = 📝 Book: { $service }

## Forms, shared
form-cancel-button = ✖️ Cancel
form-placeholder = Type your answer
form-cancelled = The form was cancelled. Nothing was sent.
form-skip = ⏭ Skip
form-use-buttons = Please choose one of the buttons.
form-text-expected = Please answer with a text message.
form-problem-empty = The answer is empty. Please type it again.
form-problem-too-short = That is too short. Please write it in full.
form-problem-too-long = That is too long: please use at most { $limit } characters.
form-problem-no-letters = Please answer in words, not only with emoji or symbols.

## Consultation request
book-intro =
    📝 <b>Booking a consultation</b>
    Answer a few short questions, and a clinic manager will call you back. You can cancel at any time.
book-ask-service = Which service are you interested in?
book-service-not-sure = 🤔 Not sure, I need advice
book-service-chosen = Service: <b>{ $service }</b>
book-ask-name = What is your name?
book-saved-offer = Book as { $name }, { $phone }?
book-saved-yes = ✅ Yes
book-saved-change = ✏️ Change
book-ask-phone = Your phone number, so we can call you back: tap “📱 Share my phone” or type it, e.g. +7 916 123-45-67.
book-share-phone = 📱 Share my phone
book-phone-placeholder = +7 916 123-45-67
book-phone-invalid = That does not look like a phone number. Please type it with the country code, e.g. +7 916 123-45-67, or tap “📱 Share my phone”.
book-phone-letters = The phone number contains letters. Please type digits only, e.g. +7 916 123-45-67.
book-phone-extension = An extension does not fit here: please type the main number, e.g. +7 916 123-45-67, and add the extension at the “Preferred time” step.
book-phone-saved = Phone: <b>{ $phone }</b> ✅
book-ask-time = When is it convenient to call you? Choose an option or type your own, e.g. “weekdays after 18:00”.
book-time-morning = 🌅 Morning (9:00–12:00)
book-time-afternoon = ☀️ Afternoon (12:00–17:00)
book-time-evening = 🌆 Evening (17:00–20:00)
book-time-chosen = Preferred time: <b>{ $time }</b>
book-ask-complaint = Briefly describe what is bothering you, or tap “⏭ Skip”: this is optional.
book-complaint-skipped = Complaint: not given.
book-ask-consent =
    <b>Consent to the processing of personal data</b>

    By tapping “✅ I agree”, you consent to the processing of your personal data.

    • <b>Who processes it:</b> { $clinic_legal_name }, { $clinic_legal_address }.
    • <b>What data:</b> your name, phone number, preferred call time and complaint, and your Telegram account.
    • <b>Why:</b> to contact you about the consultation.
    • <b>How long it is kept:</b> { $retention_days ->
        [365] up to a year
       *[other] up to { $retention_days } { $retention_days ->
            [one] day
           *[other] days
        }
    } after the request is closed; then it is erased.
    • <b>Complaints</b> are health data, a special category of personal data. Giving them is optional.
    • <b>How to withdraw consent:</b> send the /forget command and your data will be erased.

    The data is not passed on to third parties.

    <i>Consent text, version { $version }</i>
book-consent-agree = ✅ I agree
book-consent-required = Without consent we cannot accept the request. Tap “✅ I agree” or “✖️ Cancel”.
book-summary =
    <b>Please check your request</b>

    Service: { $service }
    Name: { $name }
    Phone: { $phone }
    Preferred time: { $time }
    Complaint: { $complaint }
book-no-complaint = —
book-confirm-button = ✅ Confirm
book-edit-button = ✏️ Edit
book-edit-done = ⬅️ Back to the summary
book-field-service = Service
book-field-name = Name
book-field-phone = Phone
book-field-time = Time
book-field-complaint = Complaint
book-restart = The form was interrupted. Please start again with “📝 Book a consultation”.
book-done =
    ✅ Thank you! Your request <b>No. { $number }</b> has been received.
    A clinic manager will call you at the time you chose.
book-already-done = Request No. { $number } has already been received. A clinic manager will call you at the time you chose.

## Reviews
review-ask-rating = How would you rate the clinic? Choose from 1 to 5 stars.
review-rated = Your rating: { $stars }
review-ask-text = Tell us in a few words about your experience, or tap “⏭ Skip”.
review-ask-signature = How should we sign your review?
review-sign-as = ✍️ Sign as { $name }
review-sign-anonymous = 🙈 Anonymously
review-done = 🙏 Thank you for your review! It will be published after moderation.
review-anonymous = Anonymous
review-no-text = (no text)
reviews-empty = There are no published reviews yet. Be the first to leave one!
reviews-summary = ⭐ <b>{ $average } out of 5</b> from { $count ->
        [one] { $count } rating
       *[other] { $count } ratings
    }
reviews-page = <i>Page { $page } of { $pages }</i>
review-written-in-ru = 🇷🇺 in Russian
review-written-in-en = 🇬🇧 in English
reviews-newer = ◀️ Newer
reviews-older = Older ▶️

## Language
language-choose = Choose the language:
language-set = ✅ The language is now English.
language-name-ru = 🇷🇺 Русский
language-name-en = 🇬🇧 English

## Manager chat cards (shown in the clinic's language)
card-request =
    🆕 <b>Consultation request No. { $number }</b>

    Service: { $service }
    Name: { $name }
    Phone: { $phone }
    Preferred time: { $time }
    Complaint: { $complaint }

    Patient: { $patient }
    Language: { $language }
    Consent: version { $consent_version }, { $consented_at }
card-review =
    📝 <b>New review No. { $number }</b> (awaiting moderation)

    Rating: { $stars } ({ $rating }/5)
    Signed: { $author }
    Text: { $text }

    Patient: { $patient }

## Managers' side
status-button-taken = 🙋 Take
status-button-called = 📞 Called
status-button-booked = ✅ Booked
status-button-noanswer = 📵 No answer
status-button-cancelled = ✖️ Cancelled
status-button-spam = 🚫 Spam
status-name-new = new
status-name-taken = taken
status-name-called = called
status-name-booked = booked
status-name-noanswer = no answer
status-name-cancelled = cancelled
status-name-spam = spam
card-status-line = <b>Status: { $status }</b> — { $staff }, { $at }
status-changed = Status: { $status }
status-race = Someone got there first: { $staff } already set “{ $status }” at { $at }.
staff-only = Only the clinic's staff can do this.
moderation-button-publish = ✅ Publish
moderation-button-hide = 🙈 Hide
review-status-published = published
review-status-hidden = hidden
review-status-pending = awaiting moderation
card-review-status-line = <b>Review { $status }</b> — { $staff }, { $at }
relay-from-patient-media = 💬 <b>Message from patient</b> { $patient }
relay-truncated = (message shortened)
relay-header = 💬 <b>Message from patient</b> { $patient }:
relay-header-part = 💬 <b>Message from patient</b> { $patient } (part { $part } of { $parts }):
relay-header-media = 💬 <b>Message from patient</b> { $patient }
relay-anonymous-admin = Clinic administrator
staff-export-bad-range = Invalid period: dates must be between { $first } and { $last }, and the first must not be after the second.
relay-passed-on = ✉️ Your message has been passed on to a clinic manager. You'll get the answer in this chat.
relay-delivered = ✅ Delivered to the patient.
relay-failed-blocked = ❌ Not delivered: the patient has blocked the bot.
relay-failed = ❌ Not delivered: { $error }
relay-unknown-target = I don't know which patient this is for: reply to a request card or to a patient's message.
ban-done = 🚫 Patient banned: their messages are ignored, and their requests and reviews are refused.
unban-done = ✅ Patient unbanned.
ban-usage = Send this command as a reply to a patient's card or message.
banned-refusal = Sorry, we cannot accept a request from you through the bot. Please contact the clinic another way.
outbox-empty = ✅ The queue is empty: every card has been delivered.
outbox-summary = 📬 Waiting for delivery: { $count }. The oldest has been waiting since { $oldest }.
outbox-row = • { $kind } No. { $ref }: attempts: { $attempts }; { $error }
outbox-no-error = not tried yet
outbox-alert = ⚠️ Messages cannot be delivered to the manager chat: { $error }. Waiting: { $count }. Nothing is lost: delivery resumes by itself once the chat works again.
topic-title = { $name } · { $id }

## Staff tools
staff-all = all
staff-erased = (erased)
staff-list-empty = Nothing found.
staff-page-newer = ◀️ Newer
staff-page-older = Older ▶️
staff-requests-title = <b>Requests: { $filter }</b> (newest first)
staff-request-line =
    <b>No. { $id }</b> · { $date } · { $status }
    { $name } · { $phone } · { $service }
staff-usage-requests = Usage: /requests [new|taken|called|booked|noanswer|cancelled|spam]
staff-usage-request = Usage: /request N — e.g. /request 12
staff-request-not-found = Request No. { $id } was not found.
staff-request-detail =
    <b>Request No. { $id }</b> of { $date }
    Status: { $status }

    Service: { $service }
    Name: { $name }
    Phone: { $phone }
    Preferred time: { $time }
    Complaint: { $complaint }
    Patient (Telegram id): { $patient }
    Language: { $language }
    Consent: version { $consent_version }, { $consented_at }

    <b>Status history</b>
    { $history }
staff-history-line = • { $at } — { $status } ({ $staff })
staff-history-empty = no changes yet
staff-reviews-title = <b>Reviews: { $filter }</b> (newest first)
staff-review-line =
    <b>No. { $id }</b> · { $stars } · { $status } · { $date }
    { $author }: { $text }
staff-usage-reviews = Usage: /reviews [pending|published|hidden]
staff-usage-stats = Usage: /stats [number of days, 1 to 3650] — e.g. /stats 30
staff-stats =
    <b>Statistics for { $days } { $days ->
        [one] day
       *[other] days
    }</b>

    Requests: { $total }
    Per day:
    { $per_day }
    Per status:
    { $per_status }
    Per service:
    { $per_service }
    Conversion (booked / all): { $conversion }

    Reviews: { $reviews }, average rating: { $average }
staff-usage-export = Usage: /export requests|reviews [from YYYY-MM-DD] [to YYYY-MM-DD]
staff-export-caption = Export “{ $kind }”: { $count } { $count ->
        [one] row
       *[other] rows
    }.
staff-export-part-caption = Export “{ $kind }”, part { $part } of { $parts }: { $count } { $count ->
        [one] row
       *[other] rows
    }.
staff-export-too-large = The export is too large to send: it would take more than { $parts } files. Ask for a shorter period, for example: /export { $kind } { $first } { $last }
staff-export-too-large-day = The export is too large to send: even the first day of the period does not fit in { $parts } files.
staff-audit-title = <b>Staff action log</b>
staff-audit-line = • { $at } — { $staff }: { $action } ({ $target })
staff-audit-empty = The log is empty.

## Patient's data
mydata-title = <b>What data the clinic stores about you</b>
mydata-language = Bot language: { $language }
mydata-request-detail =
    Preferred time: { $time }
    Complaint: { $complaint }
mydata-requests = <b>Requests</b>
mydata-reviews = <b>Reviews</b>
mydata-consents = <b>Consents to personal data processing</b>
mydata-consent-line = • version { $version }, given { $at }
mydata-nothing = There are no requests, reviews or consents from you.
mydata-footer = To erase your data: /forget
forget-confirm =
    <b>Erase your personal data?</b>
    Your name, phone, preferred time, complaints and review texts will be erased, and messages to the managers not yet delivered will not be sent. The data cannot be restored.
forget-yes = 🗑 Yes, erase my data
forget-no = No, keep it
forget-kept = All right, your data is untouched.
forget-done = ✅ Your personal data has been erased.
forget-notice = 🗑 The data of request No. { $number } was erased at the patient's request.
card-erased = 🗑 Data erased at the patient's request.
command-mydata = My data at the clinic
command-forget = Erase my data
flood-slow-down = You are sending messages too fast. Please wait a few seconds.
form-continue = You are still filling in a form: answer the last question, or send /cancel to stop.
form-unknown-command = There is no such command. Answer the last question, or send /cancel to stop filling in the form.
staff-moderate-button = { $action } No. { $id }
book-phone-not-own = That is someone else's contact. Tap “📱 Share my phone” to send your own number, or type the number we should call.

## Contacts and opening hours
contacts-menu-button = 📍 Contacts
command-contacts = Address, phone and opening hours
contacts-greeting-clinic = 🏥 <b>{ $clinic_name }</b>: address, phone and opening hours — tap “📍 Contacts”.
contacts-title = 📍 <b>{ $clinic_name }</b>: contacts and opening hours
contacts-none = The clinic's contacts are not listed yet. Write your question here and a clinic manager will answer.
contacts-branch =
    🏠 { $address }
    📞 { $phone }
    🕘 { $today }
    { $status }
contacts-directions = 🚶 { $directions }
contacts-today-hours = Today: { $start }–{ $end }
contacts-today-closed = Today: closed
contacts-open-until = ✅ Open now, until { $time }
contacts-opens-today = ⛔ Closed, opens today at { $time }
contacts-opens-tomorrow = ⛔ Closed, opens tomorrow at { $time }
contacts-opens-weekday = ⛔ Closed, opens on { $weekday ->
        [0] Monday
        [1] Tuesday
        [2] Wednesday
        [3] Thursday
        [4] Friday
        [5] Saturday
       *[6] Sunday
    } at { $time }
contacts-opens-date = ⛔ Closed, opens on { $date } at { $time }
contacts-closed = ⛔ Closed

## Digests of requests in the manager chat (a queue longer than Telegram lets the bot post)
digest-title = 📋 <b>{ $count ->
        [one] { $count } new request
       *[other] { $count } new requests
    }</b> — many at once. Tap a number to open the request's card.
digest-line = No. { $number } · { $service } · { $name } · { $time } · { $phone }
digest-open-button = No. { $number }
digest-opening = Opening the card of request No. { $number }…
digest-already-open = The card of request No. { $number } is already in the chat.

## Visit loop: appointments (managers)
appt-ask-day = 🗓 <b>Request No. { $number }</b>: when is the patient booked? Choose a day or reply to this message with a date and time, e.g. <code>{ $example }</code>.
appt-ask-slot = 🗓 <b>Request No. { $number }</b>, { $day }: choose a time or reply to this message with a date and time, e.g. <code>{ $example }</code>.
appt-ask-branch = 🏥 <b>Request No. { $number }</b>, { $when }: at which branch?
appt-ask-doctor = 👩‍⚕️ <b>Request No. { $number }</b>, { $when }: with which doctor? Reply to this message with the doctor's name or tap “⏭ No doctor”.
appt-button-back = ← Another day
appt-button-no-doctor = ⏭ No doctor
appt-button-cancel = ✖️ Not now
appt-button-set = 🗓 Set the time
appt-button-change = 🗓 Change the appointment
appt-problem-garbage = I did not understand the date and time. Write, for example, <code>{ $example }</code>.
appt-problem-impossible_date = There is no such date. Check the day and the month.
appt-problem-impossible_time = There is no such time: hours 0 to 23, minutes 0 to 59.
appt-problem-nonexistent_time = The clocks change at that hour, so that time does not exist. Choose another.
appt-problem-in_the_past = That time has passed. Write a future date and time.
appt-problem-too_far = That is more than a year away: check the year.
appt-doctor-too-long = Too long for a doctor's name: up to { $limit } characters.
appt-saved = ✅ Appointment for request No. { $number }: { $when }. The patient got a confirmation with a calendar file.
appt-saved-undelivered = ⚠️ The appointment for request No. { $number } is saved ({ $when }), but the confirmation did not reach the patient: { $error }. Reminders will not reach them either; please call the patient.
appt-dialog-cancelled = No time set. Set it later with “🗓 Set the time” on the request card.
appt-not-booked = Request No. { $number } is no longer booked: no time was set.
appt-stale = This step is no longer current.
appt-card-when = 🗓 <b>Appointment: { $when }</b>
appt-card-doctor = 👩‍⚕️ Doctor: { $doctor }
appt-card-branch = 🏥 { $address }
appt-card-state = Patient: { $state }
appt-card-move-wish = ↪️ Time the patient would like: “{ $wish }”
appt-card-came = 🏁 Visit: came, rated { $stars }
appt-card-missed = 🏁 Visit: the patient did not come
appt-card-changed = Changed by { $staff }, { $at }
appt-state-pending = ❔ not answered yet
appt-state-confirmed = ✅ confirmed
appt-state-move = ↪️ asks to move it
appt-state-cancelled = ✖️ cancelled
appt-by-patient = by the patient
appt-note-confirmed = ✅ The patient confirmed the appointment for request No. { $number }: { $when }.
appt-note-move = ↪️ The patient asks to move the appointment for request No. { $number } ({ $when }). Preferred time: “{ $wish }”. Set the new one with “🗓 Change the appointment” on the card.
appt-note-cancelled = ✖️ The patient cancelled the appointment for request No. { $number } ({ $when }).
appt-note-missed = 🚫 The patient says they did not come to the appointment for request No. { $number } ({ $when }).
appt-alert-low-score =
    ⚠️ <b>Low visit score: { $stars }</b>
    Request No. { $number }, appointment { $when }
    { $name }, { $phone }
    Please call the patient. A reply to this message reaches the patient's chat.
appt-alert-feedback = 💬 What went wrong, in the patient's words (request No. { $number }): { $text }
appt-today-title = 🗓 <b>Appointments today, { $date }</b>
appt-tomorrow-title = 🗓 <b>Appointments tomorrow, { $date }</b>
appt-day-empty = No appointments.
appt-day-line = { $time } · { $state } · { $request } · { $name }
appt-day-request = request No. { $number }
appt-stats = 🏁 Visits in the period: { $booked }, came: { $came } ({ $share }), did not come: { $missed }

## Visit loop: the patient's side
visit-confirmation-title = ✅ <b>You are booked</b>
visit-changed-title = 🔄 <b>Your appointment has been rescheduled</b>
visit-when = 🗓 { $when }
visit-doctor = 👩‍⚕️ Doctor: { $doctor }
visit-address = 📍 { $address }
visit-bring = 🎒 Please bring your passport, your health insurance policy if you have one, and the results of earlier examinations: densitometry, tests, X-rays.
visit-confirmation-footer = If your plans change, tap “↪️ Move” or “✖️ Cancel”.
visit-ics-caption = 📅 Calendar file: open it to add the appointment to your calendar.
visit-ics-summary = Appointment: { $clinic_name }
visit-reminder-title = ⏰ <b>A reminder of your appointment</b>
visit-reminder-question = Will you come?
visit-button-come = ✅ I'll come
visit-button-move = ↪️ Move
visit-button-cancel = ✖️ Cancel
visit-come-done = ✅ Thank you! See you on { $when }.
visit-move-ask = ↪️ When would suit you better? Write a day and time, and a manager will find a new time and send you a confirmation.
visit-move-done = Thank you! We have passed this on to a manager and will send you the new time once it is set.
visit-cancel-ask = Cancel your appointment on { $when }?
visit-cancel-yes = ✖️ Yes, cancel
visit-cancel-no = ← No, keep it
visit-cancel-done = The appointment is cancelled. To book again, tap “📝 Book a consultation”.
visit-cancel-kept = Fine, the appointment stays: { $when }.
visit-stale = This appointment has changed since: see the latest message about it.
visit-follow-up = How did your appointment on { $when } go? If you came, please rate the visit.
visit-button-missed = 🚫 I did not come
visit-rated = Your rating: { $stars }
visit-low-ask = We are sorry the visit did not go as it should. What went wrong? Write it here and a manager will call you back.
visit-low-thanks = Thank you for telling us. We have passed it on to a manager, who will contact you.
visit-high-thanks = Thank you for the high rating! Would you like to share a review? Write a few words: it will appear once it has been checked. You can skip this.
visit-missed-done = Sorry it did not work out. To book again, tap “📝 Book a consultation”.
visit-mydata-title = <b>Appointments</b>
visit-mydata-line = 🗓 { $when }, request No. { $number }: { $state }
visit-mydata-came = came, rated { $stars }
visit-mydata-missed = did not come
visit-mydata-feedback = your answer: { $text }
visit-mydata-move = asked to move it to: { $text }
visit-state-pending = waiting for your answer
visit-state-confirmed = you confirmed it
visit-state-move = you asked to move it
visit-state-cancelled = cancelled

## Staff edit prices, branches and the announcement; /reload; deep-link sources (issue 15)
edit-prices-title = 💰 <b>Prices as patients see them</b> (staff view). Tap ✏️ to change a price or a name, or to hide a service. <code>/prices reset N</code> returns service N to the price list file.
edit-prices-line = { $number }. { $name } — { $price } { $marks }
edit-mark-hidden = 🙈 hidden
edit-mark-changed = ✏️ changed
edit-button = ✏️ { $number }. { $name }
edit-ask-service = <b>{ $name }</b>: send the new price (a number, e.g. 1800), a new name (in your language, or another with a prefix: <code>ru: Консультация</code>), <code>hidden</code> to take it off the price list or <code>shown</code> to bring it back. /cancel to stop.
edit-ask-phone = <b>{ $address }</b>, now { $phone }: send the new phone number, e.g. +74951234567. /cancel to stop.
edit-ask-hours = <b>{ $address }</b>, now: { $hours }. Send a day (or days) and hours: <code>mon 09:00-20:00</code>, <code>mon-fri 09:00-20:00</code>, <code>sun closed</code>. /cancel to stop.
edit-what-phone = Phone of { $address }
edit-what-hours = Hours of { $address }
edit-confirm = <b>{ $what }</b>: { $old } → { $new }. Apply?
edit-apply-button = ✅ Apply
edit-cancel-button = ✖️ Cancel
edit-applied = ✅ <b>{ $what }</b>: { $old } → { $new }. Patients see it now, in every language.
edit-cancelled = Nothing changed.
edit-cancel-hint = Send it again, or /cancel.
edit-target-gone = This item is no longer in the files (they were reloaded). Open the list again.
edit-state-shown = shown
edit-state-hidden = hidden
edit-problem-price = A price is a whole number of roubles, from 1 to 10,000,000.
edit-problem-name = A name is one line without &lt;, &gt; or &amp;.
edit-problem-phone = A phone number in international format, e.g. +74951234567.
edit-problem-hours = Hours look like <code>mon 09:00-20:00</code>, <code>mon-fri 09:00-20:00</code> or <code>sun closed</code>.
edit-problem-too-long = That is too long.
edit-usage-reset = <code>/prices reset N</code>, where N is the service's number in /prices.
edit-reset-done = { $name }: back to the price list file.
edit-reset-nothing = { $name } has no changes to undo.
edit-no-branches = clinic.toml lists no branches.
edit-branches-title = 📍 <b>Branches as patients see them</b> (staff view). Tap ✏️ to change a phone or opening hours. <code>/branches reset N</code> returns branch N to clinic.toml.
edit-branch-line =
    { $number }. { $address }
    📞 { $phone }
    🕘 { $hours }
edit-phone-button = ✏️ 📞 { $number }
edit-hours-button = ✏️ 🕘 { $number }
edit-usage-branches-reset = <code>/branches reset N</code>, where N is the branch's number in /branches.
edit-branch-reset-done = Branch { $number }: back to clinic.toml.
edit-branch-reset-nothing = Branch { $number } has no changes to undo.
announce-greeting = 📢 { $text }
announce-set = 📢 Announcement set; patients see it under the greeting: { $text }
announce-cleared = The announcement is removed.
announce-none = No announcement now. <code>/announce Closed on 31 December</code> sets one for everyone (<code>/announce en …</code> for one language only); <code>/announce off</code> removes it.
announce-current = 📢 Shown now:
    { $text }
    <code>/announce off</code> removes it.
reload-done = ✅ The texts in content/ were re-read and are in use.
reload-where-line = { $file }, line { $line }
reload-failed = ⚠️ Not reloaded: <b>{ $where }</b>: { $detail }
    The previous texts stay in use.
source-usage = <code>/link source</code>: letters, digits, _ and -, up to 64 characters, e.g. <code>/link flyer</code> or <code>/link vk_post_12</code>.
source-link = 🔗 Link for <b>{ $source }</b>:
    { $link }
    Patients who open it are counted under “{ $source }” in /stats.
source-qr-caption = QR code for “{ $source }”: { $link }
source-stats-title = <b>By source</b> (deep links):
source-stats-line = • { $source }: patients { $patients }, requests { $requests }, booked { $booked }, came { $came }, conversion { $conversion }
source-stats-none = No patient came by a deep link in this period.
source-of-request = 🔗 Source (link): { $source }
digest-line-erased = No. { $number } · the patient's data was erased

## Clinic operations: out-of-hours answers, escalation of untaken requests, reply templates, staff help
hours-closed-today = 🌙 We're closed now; a manager will { $reply ->
        [call] call you
       *[answer] answer you
    } today after { $time }.
hours-closed-tomorrow = 🌙 We're closed now; a manager will { $reply ->
        [call] call you
       *[answer] answer you
    } tomorrow after { $time }.
hours-closed-later = 🌙 We're closed now; a manager will { $reply ->
        [call] call you
       *[answer] answer you
    } on { $date } after { $time }.
hours-closed-unknown = 🌙 We're closed now; a manager will { $reply ->
        [call] call you
       *[answer] answer you
    } when the clinic opens.
hours-card-out-of-hours = 🌙 <b>Received out of hours</b>
escalation-reminder = ⏰ <b>Request No. { $number } is waiting</b>: nobody has taken it in { $minutes } min of working time. Tap “🙋 Take” on its card.
escalation-reminder-second = ⏰⏰ <b>Second reminder: request No. { $number }</b> is still not taken after { $minutes } min of working time.
escalation-on-duty = On duty: { $staff }
escalation-on-duty-link = on duty
escalation-stats-title = <b>Time to the first “🙋 Take”</b> (median, working time):
escalation-stats-day = • { $day }: { $minutes } min ({ $count })
escalation-stats-manager = • { $manager }: { $minutes } min ({ $count })
escalation-stats-none = No request was taken in this period.
tpl-button = 📋 Templates
tpl-back = ↩️ Back
tpl-list-title = 📋 <b>Reply templates</b> (📋 on a request card sends one to the patient):
tpl-list-line = • <b>{ $name }</b>: { $text }
tpl-list-empty = No templates yet.
tpl-usage =
    <code>/templates</code> — the list
    <code>/templates add name text</code> — a new template
    <code>/templates edit name text</code> — change its text
    <code>/templates remove name</code> — delete it
    In the text, <code>{"{"}name{"}"}</code>, <code>{"{"}service{"}"}</code> and <code>{"{"}clinic_phone{"}"}</code> become the patient's name, the service and the clinic's phone.
tpl-added = ✅ Template <b>{ $name }</b> added.
tpl-edited = ✅ Template <b>{ $name }</b> changed.
tpl-removed = 🗑 Template <b>{ $name }</b> removed.
tpl-exists = A template named <b>{ $name }</b> already exists: <code>/templates edit { $name } text</code> changes it.
tpl-not-found = No template named <b>{ $name }</b>.
tpl-problem-name = A template's name is one word (letters, digits, _ and -), up to 32 characters.
tpl-problem-empty = The template's text is empty.
tpl-problem-too-long = The template's text is too long (up to 1000 characters).
tpl-problem-placeholder = Unknown placeholder: { $found }. Only {"{"}name{"}"}, {"{"}service{"}"} and {"{"}clinic_phone{"}"} are filled in.
tpl-choose = 📋 Choose a template to send to the patient
tpl-none = No templates yet: add one with /templates add
tpl-sent =
    📋 { $manager } sent the patient the template “{ $name }”:
    { $text }
tpl-erased = The patient's data was erased: nothing to send.
staffhelp-text =
    <b>For the clinic's staff</b>
    /requests [status] — requests, newest first
    /request N — one request with its history
    /reviews [status] — reviews to moderate
    /stats [days] — numbers for a period (requests, sources, visits, time to take)
    /export — requests as a CSV file
    /audit — who changed what
    /outbox — messages waiting to be delivered
    /today, /tomorrow — booked visits
    /prices, /branches, /announce — change prices, branches' hours and phones, the announcement
    /reload — re-read the texts in content/
    /link source — a deep link and QR code for an ad or a flyer
    /templates — reply templates
    /ban, /unban — as a reply to a patient's message

    <b>Buttons of a request card</b>
    🙋 Take · 📞 Called · ✅ Booked (then 🗓 the visit) · 📵 No answer · ✖️ Cancelled · 🚫 Spam
    📋 Templates — send a ready answer to the patient
    A reply to a card or to a patient's message is sent to the patient.

    If nobody takes a request, the bot reminds this chat about it after { $minutes } min of working time, and again after { $twice } min.
staffhelp-command-requests = Requests, newest first
staffhelp-command-request = One request with its history
staffhelp-command-reviews = Reviews to moderate
staffhelp-command-stats = Numbers for a period
staffhelp-command-export = Requests as CSV
staffhelp-command-audit = Who changed what
staffhelp-command-outbox = Messages waiting to be delivered
staffhelp-command-today = Booked visits today
staffhelp-command-tomorrow = Booked visits tomorrow
staffhelp-command-prices = Change prices
staffhelp-command-branches = Change branches' hours and phones
staffhelp-command-announce = The announcement under the greeting
staffhelp-command-reload = Re-read the texts
staffhelp-command-link = Deep link and QR code
staffhelp-command-templates = Reply templates
staffhelp-command-help = Staff commands and card buttons
