## Главное меню
menu-article = 📖 Об остеопорозе
menu-prices = 💳 Цены
menu-book = 📝 Записаться на консультацию
menu-review = ✍️ Оставить отзыв
menu-reviews = ⭐ Отзывы
menu-language = 🌐 Язык / Language
menu-placeholder = Выберите пункт меню
menu-title = Главное меню. Выберите нужный пункт кнопками ниже.

start-greeting =
    Здравствуйте, { $name }! 👋
    Я бот-помощник клиники. Здесь можно:
    • прочитать об остеопорозе: причины, симптомы, диагностика и лечение;
    • узнать цены на услуги;
    • записаться на консультацию;
    • оставить отзыв и почитать отзывы пациентов;
    • задать вопрос: просто напишите его сюда, и вам ответит менеджер клиники.

    Выберите пункт в меню ниже.
help-text =
    <b>Что я умею</b>
    /menu — главное меню
    /prices — цены на услуги
    /book — записаться на консультацию
    /review — оставить отзыв
    /reviews — отзывы пациентов
    /contacts — адреса, телефоны и часы работы
    /cancel — отменить заполнение формы
    /mydata — какие ваши данные хранит клиника
    /forget — удалить ваши данные
    /help — эта справка

    Можно пользоваться и кнопками меню внизу.

    <b>Вопрос клинике</b>
    Любое сообщение, которое вы напишете сюда (кроме команд и ответов на вопросы формы), получит менеджер клиники. Ответ придёт в этот же чат.
cancel-nothing = Отменять нечего. Вот главное меню.
not-understood = Простите, я не понял, что нужно сделать. Выберите, пожалуйста, пункт в меню ниже или напишите свой вопрос обычным сообщением — его получит менеджер клиники.
stale-button = Эта кнопка уже неактивна. Откройте нужный раздел заново из меню.
error-generic = Извините, что-то пошло не так. Пожалуйста, попробуйте ещё раз через минуту.

## Команды (меню «/»)
command-start = Начать и открыть главное меню
command-menu = Главное меню
command-prices = Цены на услуги
command-book = Записаться на консультацию
command-review = Оставить отзыв
command-reviews = Отзывы пациентов
command-help = Справка
command-cancel = Отменить заполнение формы

## Навигация
nav-menu = 🏠 Главное меню
nav-book = 📝 Записаться

## Статья
article-menu =
    <b>{ $title }</b>

    { $intro }

    Выберите раздел:
article-previous = ◀️ Назад
article-next = Далее ▶️
article-sections = 📚 Разделы
article-position = <i>Раздел { $current } из { $total }</i>
article-doctor-note = ⚠️ <i>Лекарства и дозировки назначает только врач. У препаратов есть противопоказания: не начинайте и не меняйте приём самостоятельно, обязательно проконсультируйтесь со специалистом.</i>

## Цены
price-from = от { $amount } ₽
prices-book-service = 📝 Записаться: { $service }

## Формы, общее
form-cancel-button = ✖️ Отмена
form-placeholder = Напишите ответ
form-cancelled = Заполнение отменено. Ничего не отправлено.
form-skip = ⏭ Пропустить
form-use-buttons = Пожалуйста, выберите одну из кнопок.
form-text-expected = Пожалуйста, ответьте текстовым сообщением.
form-problem-empty = Ответ пустой. Напишите его, пожалуйста, ещё раз.
form-problem-too-short = Слишком коротко. Пожалуйста, напишите полностью.
form-problem-too-long = Слишком длинно: пожалуйста, не больше { $limit } { $limit ->
        [one] символа
       *[other] символов
    }.
form-problem-no-letters = Пожалуйста, ответьте словами, а не только эмодзи или символами.

## Запись на консультацию
book-intro =
    📝 <b>Запись на консультацию</b>
    Ответьте на несколько коротких вопросов, и менеджер клиники вам перезвонит. Отменить запись можно в любой момент.
book-ask-service = Какая услуга вас интересует?
book-service-not-sure = 🤔 Не знаю, нужна консультация
book-service-chosen = Услуга: <b>{ $service }</b>
book-ask-name = Как вас зовут?
book-saved-offer = Записать вас как { $name }, { $phone }?
book-saved-yes = ✅ Да
book-saved-change = ✏️ Изменить
book-ask-phone = Ваш телефон для обратного звонка: нажмите «📱 Поделиться номером» или напишите номер, например +7 916 123-45-67.
book-share-phone = 📱 Поделиться номером
book-phone-placeholder = +7 916 123-45-67
book-phone-invalid = Это не похоже на номер телефона. Напишите его с кодом страны, например +7 916 123-45-67, или нажмите «📱 Поделиться номером».
book-phone-letters = В номере телефона есть буквы. Напишите, пожалуйста, только цифры, например +7 916 123-45-67.
book-phone-extension = Добавочный номер сюда не поместится: напишите основной номер, например +7 916 123-45-67, а добавочный можно указать на шаге «Удобное время».
book-phone-saved = Телефон: <b>{ $phone }</b> ✅
book-ask-time = Когда вам удобно принять звонок? Выберите вариант или напишите свой, например «по будням после 18:00».
book-time-morning = 🌅 Утром (9:00–12:00)
book-time-afternoon = ☀️ Днём (12:00–17:00)
book-time-evening = 🌆 Вечером (17:00–20:00)
book-time-chosen = Удобное время: <b>{ $time }</b>
book-ask-complaint = Коротко опишите, что вас беспокоит, или нажмите «⏭ Пропустить» — это необязательно.
book-complaint-skipped = Жалобы: не указаны.
book-ask-consent =
    <b>Согласие на обработку персональных данных</b>

    Нажимая «✅ Согласен(на)», вы соглашаетесь на обработку ваших персональных данных.

    • <b>Кто обрабатывает:</b> { $clinic_legal_name }, { $clinic_legal_address }.
    • <b>Какие данные:</b> имя, телефон, удобное время звонка и жалобы, а также ваш аккаунт в Telegram.
    • <b>Зачем:</b> чтобы связаться с вами по поводу консультации.
    • <b>Сколько хранятся:</b> { $retention_days ->
        [365] до года
       *[other] до { $retention_days } { $retention_days ->
            [one] дня
           *[other] дней
        }
    } после закрытия заявки, затем удаляются.
    • <b>Жалобы</b> — это сведения о здоровье, то есть особая категория персональных данных. Указывать их необязательно.
    • <b>Как отозвать согласие:</b> отправьте команду /forget — ваши данные будут удалены.

    Третьим лицам данные не передаются.

    <i>Текст согласия, версия { $version }</i>
book-consent-agree = ✅ Согласен(на)
book-consent-required = Без согласия мы не можем принять заявку. Нажмите «✅ Согласен(на)» или «✖️ Отмена».
book-summary =
    <b>Проверьте, пожалуйста, заявку</b>

    Услуга: { $service }
    Имя: { $name }
    Телефон: { $phone }
    Удобное время: { $time }
    Жалобы: { $complaint }
book-no-complaint = —
book-confirm-button = ✅ Подтвердить
book-edit-button = ✏️ Изменить
book-edit-done = ⬅️ Назад к заявке
book-field-service = Услуга
book-field-name = Имя
book-field-phone = Телефон
book-field-time = Время
book-field-complaint = Жалобы
book-restart = Заполнение прервалось. Пожалуйста, начните заново: «📝 Записаться на консультацию».
book-done =
    ✅ Спасибо! Ваша заявка <b>№ { $number }</b> принята.
    Менеджер клиники позвонит вам в выбранное время.
book-already-done = Заявка № { $number } уже принята. Менеджер клиники позвонит вам в выбранное время.

## Отзывы
review-ask-rating = Как вы оцениваете клинику? Выберите от 1 до 5 звёзд.
review-rated = Ваша оценка: { $stars }
review-ask-text = Расскажите в нескольких словах о своём опыте или нажмите «⏭ Пропустить».
review-ask-signature = Как подписать отзыв?
review-sign-as = ✍️ Подписать: { $name }
review-sign-anonymous = 🙈 Анонимно
review-done = 🙏 Спасибо за отзыв! Он появится после проверки модератором.
review-anonymous = Аноним
review-no-text = (без текста)
reviews-empty = Опубликованных отзывов пока нет. Оставьте первый!
reviews-summary = ⭐ <b>{ $average } из 5</b> — { $count ->
        [one] { $count } оценка
        [few] { $count } оценки
       *[many] { $count } оценок
    }
reviews-page = <i>Страница { $page } из { $pages }</i>
review-written-in-ru = 🇷🇺 отзыв на русском
review-written-in-en = 🇬🇧 отзыв на английском
reviews-newer = ◀️ Новее
reviews-older = Старше ▶️

## Язык
language-choose = Выберите язык / Choose the language:
language-set = ✅ Язык бота: русский.
language-name-ru = 🇷🇺 Русский
language-name-en = 🇬🇧 English

## Карточки для чата менеджеров (на языке клиники)
card-request =
    🆕 <b>Заявка на консультацию № { $number }</b>

    Услуга: { $service }
    Имя: { $name }
    Телефон: { $phone }
    Удобное время: { $time }
    Жалобы: { $complaint }

    Пациент: { $patient }
    Язык: { $language }
    Согласие: версия { $consent_version }, { $consented_at }
card-review =
    📝 <b>Новый отзыв № { $number }</b> (ждёт модерации)

    Оценка: { $stars } ({ $rating }/5)
    Подпись: { $author }
    Текст: { $text }

    Пациент: { $patient }

## Сторона менеджеров
status-button-taken = 🙋 Взять
status-button-called = 📞 Позвонили
status-button-booked = ✅ Записан
status-button-noanswer = 📵 Не отвечает
status-button-cancelled = ✖️ Отменена
status-button-spam = 🚫 Спам
status-name-new = новая
status-name-taken = взята в работу
status-name-called = позвонили
status-name-booked = записан на приём
status-name-noanswer = не отвечает
status-name-cancelled = отменена
status-name-spam = спам
card-status-line = <b>Статус: { $status }</b> — { $staff }, { $at }
status-changed = Статус: { $status }
status-race = Вас опередили: { $staff } уже отметил(а) «{ $status }» в { $at }.
staff-only = Это могут делать только сотрудники клиники.
moderation-button-publish = ✅ Опубликовать
moderation-button-hide = 🙈 Скрыть
review-status-published = опубликован
review-status-hidden = скрыт
review-status-pending = ждёт модерации
card-review-status-line = <b>Отзыв { $status }</b> — { $staff }, { $at }
relay-from-patient-media = 💬 <b>Сообщение от пациента</b> { $patient }
relay-truncated = (сообщение обрезано)
relay-header = 💬 <b>Сообщение от пациента</b> { $patient }:
relay-header-part = 💬 <b>Сообщение от пациента</b> { $patient } (часть { $part } из { $parts }):
relay-header-media = 💬 <b>Сообщение от пациента</b> { $patient }
relay-anonymous-admin = Администратор клиники
staff-export-bad-range = Неверный период: даты должны быть между { $first } и { $last }, и первая — не позже второй.
relay-passed-on = ✉️ Передали ваше сообщение менеджеру клиники. Ответ придёт в этот чат.
relay-delivered = ✅ Доставлено пациенту.
relay-failed-blocked = ❌ Не доставлено: пациент заблокировал бота.
relay-failed = ❌ Не доставлено: { $error }
relay-unknown-target = Не знаю, какому пациенту это отправить. Ответьте на карточку заявки или на сообщение пациента.
ban-done = 🚫 Пациент заблокирован: его сообщения игнорируются, заявки и отзывы от него не принимаются.
unban-done = ✅ Пациент разблокирован.
ban-usage = Отправьте эту команду ответом на карточку или сообщение пациента.
banned-refusal = К сожалению, мы не можем принять от вас заявку через бота. Пожалуйста, свяжитесь с клиникой другим способом.
outbox-empty = ✅ Очередь пуста: все карточки доставлены.
outbox-summary = 📬 В очереди на доставку: { $count }. Самое старое сообщение ждёт с { $oldest }.
outbox-row = • { $kind } № { $ref }: попыток — { $attempts }; { $error }
outbox-no-error = ещё не отправлялось
outbox-alert = ⚠️ Не удаётся доставить сообщения в чат менеджеров: { $error }. В очереди: { $count }. Ничего не потеряно: доставка возобновится сама, когда чат снова будет доступен.
topic-title = { $name } · { $id }

## Инструменты сотрудников
staff-all = все
staff-erased = (удалено)
staff-list-empty = Ничего не найдено.
staff-page-newer = ◀️ Новее
staff-page-older = Старше ▶️
staff-requests-title = <b>Заявки: { $filter }</b> (новые сверху)
staff-request-line =
    <b>№ { $id }</b> · { $date } · { $status }
    { $name } · { $phone } · { $service }
staff-usage-requests = Использование: /requests [new|taken|called|booked|noanswer|cancelled|spam]
staff-usage-request = Использование: /request N — например, /request 12
staff-request-not-found = Заявка № { $id } не найдена.
staff-request-detail =
    <b>Заявка № { $id }</b> от { $date }
    Статус: { $status }

    Услуга: { $service }
    Имя: { $name }
    Телефон: { $phone }
    Удобное время: { $time }
    Жалобы: { $complaint }
    Пациент (Telegram id): { $patient }
    Язык: { $language }
    Согласие: версия { $consent_version }, { $consented_at }

    <b>История статусов</b>
    { $history }
staff-history-line = • { $at } — { $status } ({ $staff })
staff-history-empty = изменений ещё не было
staff-reviews-title = <b>Отзывы: { $filter }</b> (новые сверху)
staff-review-line =
    <b>№ { $id }</b> · { $stars } · { $status } · { $date }
    { $author }: { $text }
staff-usage-reviews = Использование: /reviews [pending|published|hidden]
staff-usage-stats = Использование: /stats [число дней, от 1 до 3650] — например, /stats 30
staff-stats =
    <b>Статистика за { $days } { $days ->
        [one] день
        [few] дня
       *[many] дней
    }</b>

    Заявок всего: { $total }
    По дням:
    { $per_day }
    По статусам:
    { $per_status }
    По услугам:
    { $per_service }
    Конверсия (записан / все): { $conversion }

    Отзывов: { $reviews }, средняя оценка: { $average }
staff-usage-export = Использование: /export requests|reviews [с ГГГГ-ММ-ДД] [по ГГГГ-ММ-ДД]
staff-export-caption = Выгрузка «{ $kind }»: { $count } { $count ->
        [one] строка
        [few] строки
       *[many] строк
    }.
staff-export-part-caption = Выгрузка «{ $kind }», часть { $part } из { $parts }: { $count } { $count ->
        [one] строка
        [few] строки
       *[many] строк
    }.
staff-export-too-large = Выгрузка слишком велика для отправки: понадобилось бы больше { $parts } файлов. Запросите период короче, например: /export { $kind } { $first } { $last }
staff-export-too-large-day = Выгрузка слишком велика для отправки: даже первый день периода не помещается в { $parts } файлов.
staff-audit-title = <b>Журнал действий сотрудников</b>
staff-audit-line = • { $at } — { $staff }: { $action } ({ $target })
staff-audit-empty = Журнал пуст.

## Данные пациента
mydata-title = <b>Какие ваши данные хранит клиника</b>
mydata-language = Язык бота: { $language }
mydata-request-detail =
    Удобное время: { $time }
    Жалобы: { $complaint }
mydata-requests = <b>Заявки</b>
mydata-reviews = <b>Отзывы</b>
mydata-consents = <b>Согласия на обработку персональных данных</b>
mydata-consent-line = • версия { $version }, дано { $at }
mydata-nothing = От вас нет ни заявок, ни отзывов, ни согласий.
mydata-footer = Удалить свои данные: /forget
forget-confirm =
    <b>Удалить ваши персональные данные?</b>
    Будут стёрты имя, телефон, удобное время, жалобы и тексты отзывов, а сообщения менеджерам, которые ещё не доставлены, отправлены не будут. Восстановить данные будет невозможно.
forget-yes = 🗑 Да, удалить мои данные
forget-no = Нет, оставить
forget-kept = Хорошо, ваши данные не тронуты.
forget-done = ✅ Ваши персональные данные удалены.
forget-notice = 🗑 Данные заявки № { $number } удалены по просьбе пациента.
card-erased = 🗑 Данные удалены по просьбе пациента.
command-mydata = Мои данные в клинике
command-forget = Удалить мои данные
flood-slow-down = Вы отправляете сообщения слишком часто. Пожалуйста, подождите несколько секунд.
form-continue = Заполнение продолжается: ответьте на последний вопрос или отправьте /cancel, чтобы отменить.
form-unknown-command = Такой команды нет. Ответьте на последний вопрос или отправьте /cancel, чтобы отменить заполнение.
staff-moderate-button = { $action } № { $id }
book-phone-not-own = Это чужой контакт. Нажмите «📱 Поделиться номером», чтобы отправить свой номер, или напишите номер, по которому вам позвонить.

## Контакты и часы работы
contacts-menu-button = 📍 Контакты
command-contacts = Адрес, телефон и часы работы
contacts-greeting-clinic = 🏥 <b>{ $clinic_name }</b>: адрес, телефон и часы работы — по кнопке «📍 Контакты».
contacts-title = 📍 <b>{ $clinic_name }</b>: контакты и часы работы
contacts-none = Контакты клиники пока не указаны. Напишите свой вопрос сюда — менеджер клиники ответит.
contacts-branch =
    🏠 { $address }
    📞 { $phone }
    🕘 { $today }
    { $status }
contacts-directions = 🚶 { $directions }
contacts-today-hours = Сегодня: { $start }–{ $end }
contacts-today-closed = Сегодня: выходной
contacts-open-until = ✅ Открыто сейчас, до { $time }
contacts-opens-today = ⛔ Закрыто, откроется сегодня в { $time }
contacts-opens-tomorrow = ⛔ Закрыто, откроется завтра в { $time }
contacts-opens-weekday = ⛔ Закрыто, откроется { $weekday ->
        [0] в понедельник
        [1] во вторник
        [2] в среду
        [3] в четверг
        [4] в пятницу
        [5] в субботу
       *[6] в воскресенье
    } в { $time }
contacts-opens-date = ⛔ Закрыто, откроется { $date } в { $time }
contacts-closed = ⛔ Закрыто

## Сводки заявок в чате менеджеров (очередь длиннее, чем Telegram даёт отправить)
digest-title = 📋 <b>{ $count ->
        [one] { $count } новая заявка
        [few] { $count } новые заявки
       *[other] { $count } новых заявок
    }</b> — много заявок сразу. Нажмите номер, чтобы открыть карточку заявки.
digest-line = № { $number } · { $service } · { $name } · { $time } · { $phone }
digest-open-button = № { $number }
digest-opening = Открываю карточку № { $number }…
digest-already-open = Карточка заявки № { $number } уже есть в чате.

## Visit loop: appointments (managers)
appt-ask-day = 🗓 <b>Заявка № { $number }</b>: на какое время записан пациент? Выберите день или напишите дату и время ответом на это сообщение, например <code>{ $example }</code>.
appt-ask-slot = 🗓 <b>Заявка № { $number }</b>, { $day }: выберите время или напишите дату и время ответом на это сообщение, например <code>{ $example }</code>.
appt-ask-branch = 🏥 <b>Заявка № { $number }</b>, { $when }: в каком филиале приём?
appt-ask-doctor = 👩‍⚕️ <b>Заявка № { $number }</b>, { $when }: к какому врачу? Напишите имя врача ответом на это сообщение или нажмите «⏭ Без врача».
appt-button-back = ← Другой день
appt-button-no-doctor = ⏭ Без врача
appt-button-cancel = ✖️ Не сейчас
appt-button-set = 🗓 Назначить время
appt-button-change = 🗓 Изменить запись
appt-problem-garbage = Не понял дату и время. Напишите, например, <code>{ $example }</code>.
appt-problem-impossible_date = Такой даты нет в календаре. Проверьте день и месяц.
appt-problem-impossible_time = Такого времени нет: часы от 0 до 23, минуты от 0 до 59.
appt-problem-nonexistent_time = В этот час переводят часы, такого времени нет. Выберите другое.
appt-problem-in_the_past = Это время уже прошло. Напишите будущие дату и время.
appt-problem-too_far = Это больше чем через год: проверьте год.
appt-doctor-too-long = Слишком длинно для имени врача: до { $limit } символов.
appt-saved = ✅ Запись по заявке № { $number }: { $when }. Пациенту отправлено подтверждение с файлом для календаря.
appt-saved-undelivered = ⚠️ Запись по заявке № { $number } сохранена ({ $when }), но подтверждение пациенту не доставлено: { $error }. Напоминания тоже не придут, позвоните пациенту.
appt-dialog-cancelled = Время приёма не назначено. Назначить его можно кнопкой «🗓 Назначить время» на карточке заявки.
appt-not-booked = Заявка № { $number } уже не в статусе «записан»: время приёма не назначено.
appt-stale = Этот шаг уже неактуален.
appt-card-when = 🗓 <b>Приём: { $when }</b>
appt-card-doctor = 👩‍⚕️ Врач: { $doctor }
appt-card-branch = 🏥 { $address }
appt-card-state = Пациент: { $state }
appt-card-move-wish = ↪️ Удобное пациенту время: «{ $wish }»
appt-card-came = 🏁 Визит: пришёл, оценка { $stars }
appt-card-missed = 🏁 Визит: пациент не пришёл
appt-card-changed = Изменено: { $staff }, { $at }
appt-state-pending = ❔ ещё не ответил
appt-state-confirmed = ✅ подтвердил
appt-state-move = ↪️ просит перенести
appt-state-cancelled = ✖️ отменил
appt-by-patient = по просьбе пациента
appt-note-confirmed = ✅ Пациент подтвердил приём по заявке № { $number }: { $when }.
appt-note-move = ↪️ Пациент просит перенести приём по заявке № { $number } ({ $when }). Удобное время: «{ $wish }». Назначьте новое кнопкой «🗓 Изменить запись» на карточке.
appt-note-cancelled = ✖️ Пациент отменил приём по заявке № { $number } ({ $when }).
appt-note-missed = 🚫 Пациент пишет, что не был на приёме по заявке № { $number } ({ $when }).
appt-alert-low-score =
    ⚠️ <b>Низкая оценка визита: { $stars }</b>
    Заявка № { $number }, приём { $when }
    { $name }, { $phone }
    Позвоните пациенту. Ответ на это сообщение придёт пациенту в чат.
appt-alert-feedback = 💬 Что не так, по словам пациента (заявка № { $number }): { $text }
appt-today-title = 🗓 <b>Записи на сегодня, { $date }</b>
appt-tomorrow-title = 🗓 <b>Записи на завтра, { $date }</b>
appt-day-empty = Записей нет.
appt-day-line = { $time } · { $state } · { $request } · { $name }
appt-day-request = заявка № { $number }
appt-stats = 🏁 Визиты за период: { $booked }, пришли: { $came } ({ $share }), не пришли: { $missed }

## Visit loop: the patient's side
visit-confirmation-title = ✅ <b>Вы записаны на приём</b>
visit-changed-title = 🔄 <b>Время приёма изменено</b>
visit-when = 🗓 { $when }
visit-doctor = 👩‍⚕️ Врач: { $doctor }
visit-address = 📍 { $address }
visit-bring = 🎒 Возьмите с собой паспорт, полис ОМС, если есть, и результаты прошлых обследований: денситометрии, анализов, снимков.
visit-confirmation-footer = Если планы изменятся, нажмите «↪️ Перенести» или «✖️ Отменить».
visit-ics-caption = 📅 Файл для календаря: откройте его, чтобы добавить приём в календарь.
visit-ics-summary = Приём: { $clinic_name }
visit-reminder-title = ⏰ <b>Напоминаем о приёме</b>
visit-reminder-question = Придёте?
visit-button-come = ✅ Приду
visit-button-move = ↪️ Перенести
visit-button-cancel = ✖️ Отменить
visit-come-done = ✅ Спасибо! Ждём вас { $when }.
visit-move-ask = ↪️ Когда вам удобнее? Напишите день и время, а менеджер подберёт новое время и пришлёт подтверждение.
visit-move-done = Спасибо! Передали менеджеру ваше пожелание. Мы пришлём новое время, когда подберём его.
visit-cancel-ask = Отменить приём { $when }?
visit-cancel-yes = ✖️ Да, отменить
visit-cancel-no = ← Нет, оставить
visit-cancel-done = Приём отменён. Если захотите записаться снова, нажмите «📝 Записаться на консультацию».
visit-cancel-kept = Хорошо, приём остаётся: { $when }.
visit-stale = Эта запись уже изменилась: смотрите последнее сообщение о приёме.
visit-follow-up = Как прошёл приём { $when }? Если вы были у нас, оцените визит.
visit-button-missed = 🚫 Я не был(а) на приёме
visit-rated = Ваша оценка: { $stars }
visit-low-ask = Нам жаль, что визит прошёл не так, как хотелось. Что пошло не так? Напишите, и менеджер перезвонит вам.
visit-low-thanks = Спасибо, что рассказали. Передали менеджеру, он свяжется с вами.
visit-high-thanks = Спасибо за высокую оценку! Хотите поделиться отзывом? Напишите пару слов: отзыв появится после проверки. Можно пропустить.
visit-missed-done = Жаль, что не получилось. Если хотите записаться снова, нажмите «📝 Записаться на консультацию».
visit-mydata-title = <b>Записи на приём</b>
visit-mydata-line = 🗓 { $when }, заявка № { $number }: { $state }
visit-mydata-came = пришли, оценка { $stars }
visit-mydata-missed = не пришли
visit-mydata-feedback = ваш ответ: { $text }
visit-mydata-move = просьба о переносе: { $text }
visit-state-pending = ждём вашего ответа
visit-state-confirmed = вы подтвердили
visit-state-move = вы просили перенести
visit-state-cancelled = отменена

## Staff edit prices, branches and the announcement; /reload; deep-link sources (issue 15)
edit-prices-title = 💰 <b>Цены, как их видят пациенты</b> (для сотрудников). Нажмите ✏️, чтобы изменить цену или название либо скрыть услугу. <code>/prices reset N</code> вернёт услуге N значение из файла прайса.
edit-prices-line = { $number }. { $name } — { $price } { $marks }
edit-mark-hidden = 🙈 скрыта
edit-mark-changed = ✏️ изменена
edit-button = ✏️ { $number }. { $name }
edit-ask-service = <b>{ $name }</b>: пришлите новую цену (число, например 1800), новое название (на вашем языке или на другом с префиксом: <code>en: Consultation</code>), <code>скрыть</code>, чтобы убрать услугу из прайса, или <code>показать</code>, чтобы вернуть. /cancel — отменить.
edit-ask-phone = <b>{ $address }</b>, сейчас { $phone }: пришлите новый телефон, например +74951234567. /cancel — отменить.
edit-ask-hours = <b>{ $address }</b>, сейчас: { $hours }. Пришлите день (или дни) и часы: <code>пн 09:00-20:00</code>, <code>пн-пт 09:00-20:00</code>, <code>вс выходной</code>. /cancel — отменить.
edit-what-phone = Телефон: { $address }
edit-what-hours = Часы работы: { $address }
edit-confirm = <b>{ $what }</b>: { $old } → { $new }. Применить?
edit-apply-button = ✅ Применить
edit-cancel-button = ✖️ Отмена
edit-applied = ✅ <b>{ $what }</b>: { $old } → { $new }. Пациенты уже видят это на всех языках.
edit-cancelled = Ничего не изменено.
edit-cancel-hint = Пришлите ещё раз или /cancel.
edit-target-gone = Этого уже нет в файлах (их перечитали). Откройте список заново.
edit-state-shown = показана
edit-state-hidden = скрыта
edit-problem-price = Цена — целое число рублей от 1 до 10 000 000.
edit-problem-name = Название — одна строка без &lt;, &gt; и &amp;.
edit-problem-phone = Телефон в международном виде, например +74951234567.
edit-problem-hours = Часы пишутся так: <code>пн 09:00-20:00</code>, <code>пн-пт 09:00-20:00</code> или <code>вс выходной</code>.
edit-problem-too-long = Слишком длинно.
edit-usage-reset = <code>/prices reset N</code>, где N — номер услуги в /prices.
edit-reset-done = { $name }: снова как в файле прайса.
edit-reset-nothing = У «{ $name }» нет изменений.
edit-no-branches = В clinic.toml нет филиалов.
edit-branches-title = 📍 <b>Филиалы, как их видят пациенты</b> (для сотрудников). Нажмите ✏️, чтобы изменить телефон или часы работы. <code>/branches reset N</code> вернёт филиалу N значения из clinic.toml.
edit-branch-line =
    { $number }. { $address }
    📞 { $phone }
    🕘 { $hours }
edit-phone-button = ✏️ 📞 { $number }
edit-hours-button = ✏️ 🕘 { $number }
edit-usage-branches-reset = <code>/branches reset N</code>, где N — номер филиала в /branches.
edit-branch-reset-done = Филиал { $number }: снова как в clinic.toml.
edit-branch-reset-nothing = У филиала { $number } нет изменений.
announce-greeting = 📢 { $text }
announce-set = 📢 Объявление установлено, пациенты видят его под приветствием: { $text }
announce-cleared = Объявление убрано.
announce-none = Объявления нет. <code>/announce 31 декабря не работаем</code> — для всех (<code>/announce ru …</code> — только для одного языка); <code>/announce off</code> — убрать.
announce-current = 📢 Сейчас показывается:
    { $text }
    <code>/announce off</code> — убрать.
reload-done = ✅ Тексты из content/ перечитаны и уже используются.
reload-where-line = { $file }, строка { $line }
reload-failed = ⚠️ Не перечитано: <b>{ $where }</b>: { $detail }
    Пока используются прежние тексты.
source-usage = <code>/link источник</code>: латинские буквы, цифры, _ и -, до 64 символов, например <code>/link flyer</code> или <code>/link vk_post_12</code>.
source-link = 🔗 Ссылка для <b>{ $source }</b>:
    { $link }
    Пациенты, открывшие её, учитываются в /stats под «{ $source }».
source-qr-caption = QR-код для «{ $source }»: { $link }
source-stats-title = <b>По источникам</b> (ссылки с меткой):
source-stats-line = • { $source }: пациентов { $patients }, заявок { $requests }, записано { $booked }, пришли { $came }, конверсия { $conversion }
source-stats-none = За этот период по ссылкам с меткой никто не пришёл.
source-of-request = 🔗 Источник (ссылка): { $source }
digest-line-erased = № { $number } · данные пациента удалены

## Работа клиники: ответы в нерабочее время, напоминания о невзятых заявках, шаблоны ответов, справка для сотрудников
hours-closed-today = 🌙 Сейчас клиника закрыта; менеджер { $reply ->
        [call] позвонит вам
       *[answer] ответит вам
    } сегодня после { $time }.
hours-closed-tomorrow = 🌙 Сейчас клиника закрыта; менеджер { $reply ->
        [call] позвонит вам
       *[answer] ответит вам
    } завтра после { $time }.
hours-closed-later = 🌙 Сейчас клиника закрыта; менеджер { $reply ->
        [call] позвонит вам
       *[answer] ответит вам
    } { $date } после { $time }.
hours-closed-unknown = 🌙 Сейчас клиника закрыта; менеджер { $reply ->
        [call] позвонит вам
       *[answer] ответит вам
    }, когда клиника откроется.
hours-card-out-of-hours = 🌙 <b>Получена в нерабочее время</b>
escalation-reminder = ⏰ <b>Заявка № { $number } ждёт</b>: её никто не взял за { $minutes } мин рабочего времени. Нажмите «🙋 Взять» на карточке.
escalation-reminder-second = ⏰⏰ <b>Второе напоминание: заявка № { $number }</b> всё ещё не взята за { $minutes } мин рабочего времени.
escalation-on-duty = Дежурные: { $staff }
escalation-on-duty-link = дежурный
escalation-stats-title = <b>Время до первого «🙋 Взять»</b> (медиана, рабочее время):
escalation-stats-day = • { $day }: { $minutes } мин ({ $count })
escalation-stats-manager = • { $manager }: { $minutes } мин ({ $count })
escalation-stats-none = За период ни одну заявку не взяли.
tpl-button = 📋 Шаблоны
tpl-back = ↩️ Назад
tpl-list-title = 📋 <b>Шаблоны ответов</b> (кнопка 📋 на карточке заявки отправляет шаблон пациенту):
tpl-list-line = • <b>{ $name }</b>: { $text }
tpl-list-empty = Шаблонов пока нет.
tpl-usage =
    <code>/templates</code> — список
    <code>/templates add имя текст</code> — новый шаблон
    <code>/templates edit имя текст</code> — изменить текст
    <code>/templates remove имя</code> — удалить
    В тексте <code>{"{"}name{"}"}</code>, <code>{"{"}service{"}"}</code> и <code>{"{"}clinic_phone{"}"}</code> заменяются на имя пациента, услугу и телефон клиники.
tpl-added = ✅ Шаблон <b>{ $name }</b> добавлен.
tpl-edited = ✅ Шаблон <b>{ $name }</b> изменён.
tpl-removed = 🗑 Шаблон <b>{ $name }</b> удалён.
tpl-exists = Шаблон <b>{ $name }</b> уже есть: <code>/templates edit { $name } текст</code> изменит его.
tpl-not-found = Шаблона <b>{ $name }</b> нет.
tpl-problem-name = Имя шаблона — одно слово (буквы, цифры, _ и -), до 32 символов.
tpl-problem-empty = Текст шаблона пуст.
tpl-problem-too-long = Текст шаблона слишком длинный (до 1000 символов).
tpl-problem-placeholder = Неизвестная подстановка: { $found }. Заполняются только {"{"}name{"}"}, {"{"}service{"}"} и {"{"}clinic_phone{"}"}.
tpl-choose = 📋 Выберите шаблон, чтобы отправить его пациенту
tpl-none = Шаблонов пока нет: добавьте командой /templates add
tpl-sent =
    📋 { $manager } отправил(а) пациенту шаблон «{ $name }»:
    { $text }
tpl-erased = Данные пациента удалены: отправлять некому.
staffhelp-text =
    <b>Для сотрудников клиники</b>
    /requests [статус] — заявки, новые сверху
    /request N — одна заявка с историей
    /reviews [статус] — отзывы на модерацию
    /stats [дней] — цифры за период (заявки, источники, визиты, время до взятия)
    /export — заявки файлом CSV
    /audit — кто что менял
    /outbox — сообщения в очереди на доставку
    /today, /tomorrow — записи на приём
    /prices, /branches, /announce — цены, часы и телефоны филиалов, объявление
    /reload — перечитать тексты из content/
    /link источник — ссылка и QR-код для рекламы или листовки
    /templates — шаблоны ответов
    /ban, /unban — ответом на сообщение пациента

    <b>Кнопки карточки заявки</b>
    🙋 Взять · 📞 Позвонили · ✅ Записан (затем 🗓 визит) · 📵 Не отвечает · ✖️ Отменена · 🚫 Спам
    📋 Шаблоны — отправить пациенту готовый ответ
    Ответ на карточку или на сообщение пациента уходит пациенту.

    О заявке, которую никто не взял, бот напомнит в этом чате через { $minutes } мин рабочего времени и ещё раз через { $twice } мин.
staffhelp-command-requests = Заявки, новые сверху
staffhelp-command-request = Одна заявка с историей
staffhelp-command-reviews = Отзывы на модерацию
staffhelp-command-stats = Цифры за период
staffhelp-command-export = Заявки в CSV
staffhelp-command-audit = Кто что менял
staffhelp-command-outbox = Сообщения в очереди
staffhelp-command-today = Записи на сегодня
staffhelp-command-tomorrow = Записи на завтра
staffhelp-command-prices = Изменить цены
staffhelp-command-branches = Часы и телефоны филиалов
staffhelp-command-announce = Объявление под приветствием
staffhelp-command-reload = Перечитать тексты
staffhelp-command-link = Ссылка и QR-код
staffhelp-command-templates = Шаблоны ответов
staffhelp-command-help = Команды и кнопки для сотрудников
