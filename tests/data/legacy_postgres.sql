--
-- PostgreSQL database dump
--

\restrict z1FUjwVPuAYJUebS3yXhBGxqiPIPhfhifKN4hrZW8xoN4gpAnz8AjkGrxKZwKKt

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: audit; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.audit (
    id bigint NOT NULL,
    staff_id bigint NOT NULL,
    staff_name text NOT NULL,
    action text NOT NULL,
    target text NOT NULL,
    at timestamp with time zone NOT NULL
);


--
-- Name: audit_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.audit ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.audit_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: consents; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.consents (
    user_id bigint NOT NULL,
    version text NOT NULL,
    at timestamp with time zone NOT NULL
);


--
-- Name: fsm; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fsm (
    key text NOT NULL,
    state text,
    data text DEFAULT '{}'::text NOT NULL,
    updated_at timestamp with time zone NOT NULL
);


--
-- Name: manager_messages; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.manager_messages (
    chat_id bigint NOT NULL,
    message_id bigint NOT NULL,
    patient_id bigint NOT NULL,
    kind text NOT NULL,
    ref_id bigint NOT NULL,
    text text NOT NULL,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: meta; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.meta (
    key text NOT NULL,
    value text NOT NULL
);


--
-- Name: outbox; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.outbox (
    id bigint NOT NULL,
    kind text NOT NULL,
    ref_id bigint NOT NULL,
    chat_id bigint NOT NULL,
    thread_id bigint,
    text text NOT NULL,
    reply_markup text,
    status text DEFAULT 'pending'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone NOT NULL,
    last_error text,
    message_id bigint,
    created_at timestamp with time zone NOT NULL,
    sent_at timestamp with time zone,
    patient_id bigint,
    thread_under_patient boolean DEFAULT false NOT NULL,
    copy_chat_id bigint,
    copy_message_id bigint,
    lease_owner text,
    lease_until timestamp with time zone
);


--
-- Name: outbox_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.outbox ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.outbox_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: patients; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.patients (
    user_id bigint NOT NULL,
    display_name text DEFAULT ''::text NOT NULL,
    topic_id bigint,
    banned_by bigint,
    banned_at timestamp with time zone
);


--
-- Name: request_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.request_events (
    id bigint NOT NULL,
    request_id bigint NOT NULL,
    status text NOT NULL,
    staff_id bigint NOT NULL,
    staff_name text NOT NULL,
    at timestamp with time zone NOT NULL
);


--
-- Name: request_events_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.request_events ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.request_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: requests; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.requests (
    id bigint NOT NULL,
    user_id bigint NOT NULL,
    locale text NOT NULL,
    service_id text,
    name text NOT NULL,
    phone text NOT NULL,
    preferred_time text NOT NULL,
    complaint text,
    consent_version text NOT NULL,
    consented_at timestamp with time zone NOT NULL,
    status text DEFAULT 'new'::text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    erased_at timestamp with time zone
);


--
-- Name: requests_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.requests ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.requests_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: reviews; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.reviews (
    id bigint NOT NULL,
    user_id bigint,
    author text,
    rating integer NOT NULL,
    text text,
    locale text NOT NULL,
    status text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    moderated_by text,
    moderated_at timestamp with time zone,
    erased_at timestamp with time zone,
    CONSTRAINT reviews_rating_check CHECK (((rating >= 1) AND (rating <= 5)))
);


--
-- Name: reviews_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.reviews ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.reviews_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: schema_version; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_version (
    version integer NOT NULL,
    applied_at timestamp with time zone NOT NULL
);


--
-- Name: send_log; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.send_log (
    id bigint NOT NULL,
    chat_id bigint NOT NULL,
    at timestamp with time zone NOT NULL
);


--
-- Name: send_log_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.send_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: send_log_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.send_log_id_seq OWNED BY public.send_log.id;


--
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (
    id bigint NOT NULL,
    locale text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);


--
-- Name: send_log id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.send_log ALTER COLUMN id SET DEFAULT nextval('public.send_log_id_seq'::regclass);


--
-- Data for Name: audit; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.audit OVERRIDING SYSTEM VALUE VALUES (1, 900, 'Olga', 'ban', '103', '2026-10-01 09:46:00+00');
INSERT INTO public.audit OVERRIDING SYSTEM VALUE VALUES (2, 900, 'Olga', 'export', 'requests', '2026-10-01 09:47:00+00');


--
-- Data for Name: consents; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.consents VALUES (101, 'v1', '2026-10-01 09:00:00+00');
INSERT INTO public.consents VALUES (102, 'v1', '2026-10-01 10:00:00+00');
INSERT INTO public.consents VALUES (103, 'v1', '2026-10-01 11:00:00+00');


--
-- Data for Name: fsm; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.fsm VALUES ('1:101:101:::default', 'Form:phone', '{"name": "Patient 0"}', '2026-10-01 09:49:00+00');


--
-- Data for Name: manager_messages; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.manager_messages VALUES (-1001, 5000, 101, 'request', 1, 'request #1 from Patient 0', '2026-10-01 09:34:00+00');
INSERT INTO public.manager_messages VALUES (-1001, 5001, 102, 'request', 2, 'request #2 from Patient 1', '2026-10-01 09:36:00+00');
INSERT INTO public.manager_messages VALUES (-1001, 5002, 103, 'request', 3, 'request #3 from Patient 2', '2026-10-01 09:38:00+00');
INSERT INTO public.manager_messages VALUES (-1001, 5003, 101, 'request', 4, 'request #4 from Patient 3', '2026-10-01 09:40:00+00');
INSERT INTO public.manager_messages VALUES (-1001, 5004, 102, 'request', 5, 'request #5 from Patient 4', '2026-10-01 09:42:00+00');


--
-- Data for Name: meta; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.meta VALUES ('reviews_seeded', '1');


--
-- Data for Name: outbox; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.outbox OVERRIDING SYSTEM VALUE VALUES (4, 'request', 4, -1001, 7, 'request #4 from Patient 3', '{"inline_keyboard": []}', 'sent', 1, '2026-10-01 09:16:00+00', NULL, 5003, '2026-10-01 09:16:00+00', '2026-10-01 09:40:00+00', 101, false, NULL, NULL, NULL, NULL);
INSERT INTO public.outbox OVERRIDING SYSTEM VALUE VALUES (1, 'request', 1, -1001, 7, 'request #1 from Patient 0', '{"inline_keyboard": []}', 'sent', 1, '2026-10-01 09:07:00+00', NULL, 5000, '2026-10-01 09:07:00+00', '2026-10-01 09:34:00+00', 101, false, NULL, NULL, NULL, NULL);
INSERT INTO public.outbox OVERRIDING SYSTEM VALUE VALUES (5, 'request', 5, -1001, 7, 'request #5 from Patient 4', '{"inline_keyboard": []}', 'sent', 1, '2026-10-01 09:18:00+00', NULL, 5004, '2026-10-01 09:18:00+00', '2026-10-01 09:42:00+00', 102, false, NULL, NULL, NULL, NULL);
INSERT INTO public.outbox OVERRIDING SYSTEM VALUE VALUES (2, 'request', 2, -1001, 7, 'request #2 from Patient 1', '{"inline_keyboard": []}', 'sent', 1, '2026-10-01 09:09:00+00', NULL, 5001, '2026-10-01 09:09:00+00', '2026-10-01 09:36:00+00', 102, false, NULL, NULL, NULL, NULL);
INSERT INTO public.outbox OVERRIDING SYSTEM VALUE VALUES (3, 'request', 3, -1001, 7, 'request #3 from Patient 2', '{"inline_keyboard": []}', 'sent', 1, '2026-10-01 09:12:00+00', NULL, 5002, '2026-10-01 09:12:00+00', '2026-10-01 09:38:00+00', 103, false, NULL, NULL, NULL, NULL);
INSERT INTO public.outbox OVERRIDING SYSTEM VALUE VALUES (6, 'request', 6, -1001, 7, 'request #6 from Patient 5', '{"inline_keyboard": []}', 'pending', 1, '2026-10-01 11:00:00+00', 'Too Many Requests', NULL, '2026-10-01 09:21:00+00', NULL, 103, false, NULL, NULL, NULL, NULL);
INSERT INTO public.outbox OVERRIDING SYSTEM VALUE VALUES (7, 'review', 2, -1001, 7, 'review #2 from Author 0', '{"inline_keyboard": []}', 'pending', 0, '2026-10-01 09:26:00+00', NULL, NULL, '2026-10-01 09:26:00+00', NULL, 101, false, NULL, NULL, NULL, NULL);
INSERT INTO public.outbox OVERRIDING SYSTEM VALUE VALUES (8, 'review', 3, -1001, 7, 'review #3 from Author 1', '{"inline_keyboard": []}', 'pending', 0, '2026-10-01 09:28:00+00', NULL, NULL, '2026-10-01 09:28:00+00', NULL, 102, false, NULL, NULL, NULL, NULL);
INSERT INTO public.outbox OVERRIDING SYSTEM VALUE VALUES (9, 'review', 4, -1001, 7, 'review #4 from Author 2', '{"inline_keyboard": []}', 'pending', 0, '2026-10-01 09:31:00+00', NULL, NULL, '2026-10-01 09:31:00+00', NULL, 103, false, NULL, NULL, NULL, NULL);
INSERT INTO public.outbox OVERRIDING SYSTEM VALUE VALUES (10, 'relay', 0, -1001, NULL, 'a photo', NULL, 'pending', 0, '2026-10-01 09:33:00+00', NULL, NULL, '2026-10-01 09:33:00+00', NULL, 102, true, 102, 55, NULL, NULL);


--
-- Data for Name: patients; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.patients VALUES (102, 'Patient 1', NULL, NULL, NULL);
INSERT INTO public.patients VALUES (101, 'Author 0', 4242, NULL, NULL);
INSERT INTO public.patients VALUES (103, 'Author 2', NULL, 900, '2026-10-01 09:45:00+00');


--
-- Data for Name: request_events; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.request_events OVERRIDING SYSTEM VALUE VALUES (1, 2, 'taken', 900, 'Olga', '2026-10-01 09:10:00+00');
INSERT INTO public.request_events OVERRIDING SYSTEM VALUE VALUES (2, 3, 'taken', 900, 'Olga', '2026-10-01 09:13:00+00');
INSERT INTO public.request_events OVERRIDING SYSTEM VALUE VALUES (3, 3, 'booked', 900, 'Olga', '2026-10-01 09:14:00+00');
INSERT INTO public.request_events OVERRIDING SYSTEM VALUE VALUES (4, 5, 'taken', 900, 'Olga', '2026-10-01 09:19:00+00');
INSERT INTO public.request_events OVERRIDING SYSTEM VALUE VALUES (5, 6, 'taken', 900, 'Olga', '2026-10-01 09:22:00+00');
INSERT INTO public.request_events OVERRIDING SYSTEM VALUE VALUES (6, 6, 'booked', 900, 'Olga', '2026-10-01 09:23:00+00');


--
-- Data for Name: requests; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.requests OVERRIDING SYSTEM VALUE VALUES (1, 101, 'ru', NULL, 'Patient 0', '+79160000000', 'morning', NULL, 'v1', '2026-10-01 09:00:00+00', 'new', '2026-10-01 09:06:00+00', NULL);
INSERT INTO public.requests OVERRIDING SYSTEM VALUE VALUES (2, 102, 'ru', 'consult', 'Patient 1', '+79160000001', 'morning', 'complaint 1', 'v1', '2026-10-01 10:00:00+00', 'taken', '2026-10-01 09:08:00+00', NULL);
INSERT INTO public.requests OVERRIDING SYSTEM VALUE VALUES (3, 103, 'ru', NULL, 'Patient 2', '+79160000002', 'morning', NULL, 'v1', '2026-10-01 11:00:00+00', 'booked', '2026-10-01 09:11:00+00', NULL);
INSERT INTO public.requests OVERRIDING SYSTEM VALUE VALUES (4, 101, 'ru', 'consult', 'Patient 3', '+79160000003', 'morning', 'complaint 3', 'v1', '2026-10-01 12:00:00+00', 'new', '2026-10-01 09:15:00+00', NULL);
INSERT INTO public.requests OVERRIDING SYSTEM VALUE VALUES (5, 102, 'ru', NULL, 'Patient 4', '+79160000004', 'morning', NULL, 'v1', '2026-10-01 13:00:00+00', 'taken', '2026-10-01 09:17:00+00', NULL);
INSERT INTO public.requests OVERRIDING SYSTEM VALUE VALUES (6, 103, 'ru', 'consult', 'Patient 5', '+79160000005', 'morning', 'complaint 5', 'v1', '2026-10-01 14:00:00+00', 'booked', '2026-10-01 09:20:00+00', NULL);


--
-- Data for Name: reviews; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.reviews OVERRIDING SYSTEM VALUE VALUES (1, NULL, 'Clinic', 5, 'Seeded', 'ru', 'published', '2026-10-01 09:24:00+00', NULL, NULL, NULL);
INSERT INTO public.reviews OVERRIDING SYSTEM VALUE VALUES (2, 101, 'Author 0', 3, 'review 0', 'ru', 'pending', '2026-10-01 09:25:00+00', NULL, NULL, NULL);
INSERT INTO public.reviews OVERRIDING SYSTEM VALUE VALUES (3, 102, 'Author 1', 4, 'review 1', 'ru', 'published', '2026-10-01 09:27:00+00', 'Olga', '2026-10-01 09:29:00+00', NULL);
INSERT INTO public.reviews OVERRIDING SYSTEM VALUE VALUES (4, 103, 'Author 2', 5, 'review 2', 'ru', 'hidden', '2026-10-01 09:30:00+00', 'Olga', '2026-10-01 09:32:00+00', NULL);


--
-- Data for Name: schema_version; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.schema_version VALUES (1, '2026-10-01 09:01:00+00');
INSERT INTO public.schema_version VALUES (2, '2026-10-01 09:02:00+00');


--
-- Data for Name: send_log; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.send_log VALUES (2, -1001, '2026-10-01 09:51:00+00');


--
-- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.users VALUES (101, 'ru', '2026-10-01 09:03:00+00', '2026-10-01 09:03:00+00');
INSERT INTO public.users VALUES (102, 'en', '2026-10-01 09:04:00+00', '2026-10-01 09:04:00+00');
INSERT INTO public.users VALUES (103, 'ru', '2026-10-01 09:05:00+00', '2026-10-01 09:05:00+00');


--
-- Name: audit_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.audit_id_seq', 2, true);


--
-- Name: outbox_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.outbox_id_seq', 10, true);


--
-- Name: request_events_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.request_events_id_seq', 6, true);


--
-- Name: requests_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.requests_id_seq', 6, true);


--
-- Name: reviews_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.reviews_id_seq', 4, true);


--
-- Name: send_log_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.send_log_id_seq', 2, true);


--
-- Name: audit audit_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit
    ADD CONSTRAINT audit_pkey PRIMARY KEY (id);


--
-- Name: consents consents_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.consents
    ADD CONSTRAINT consents_pkey PRIMARY KEY (user_id, version);


--
-- Name: fsm fsm_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fsm
    ADD CONSTRAINT fsm_pkey PRIMARY KEY (key);


--
-- Name: manager_messages manager_messages_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.manager_messages
    ADD CONSTRAINT manager_messages_pkey PRIMARY KEY (chat_id, message_id);


--
-- Name: meta meta_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.meta
    ADD CONSTRAINT meta_pkey PRIMARY KEY (key);


--
-- Name: outbox outbox_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT outbox_pkey PRIMARY KEY (id);


--
-- Name: patients patients_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.patients
    ADD CONSTRAINT patients_pkey PRIMARY KEY (user_id);


--
-- Name: request_events request_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.request_events
    ADD CONSTRAINT request_events_pkey PRIMARY KEY (id);


--
-- Name: requests requests_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.requests
    ADD CONSTRAINT requests_pkey PRIMARY KEY (id);


--
-- Name: reviews reviews_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reviews
    ADD CONSTRAINT reviews_pkey PRIMARY KEY (id);


--
-- Name: schema_version schema_version_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_version
    ADD CONSTRAINT schema_version_pkey PRIMARY KEY (version);


--
-- Name: send_log send_log_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.send_log
    ADD CONSTRAINT send_log_pkey PRIMARY KEY (id);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: manager_messages_patient; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX manager_messages_patient ON public.manager_messages USING btree (patient_id, chat_id, message_id);


--
-- Name: manager_messages_ref; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX manager_messages_ref ON public.manager_messages USING btree (kind, ref_id);


--
-- Name: outbox_patient; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX outbox_patient ON public.outbox USING btree (patient_id);


--
-- Name: outbox_pending; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX outbox_pending ON public.outbox USING btree (id) WHERE (status = 'pending'::text);


--
-- Name: outbox_ref; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX outbox_ref ON public.outbox USING btree (kind, ref_id);


--
-- Name: request_events_request; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX request_events_request ON public.request_events USING btree (request_id, id);


--
-- Name: requests_created; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX requests_created ON public.requests USING btree (created_at);


--
-- Name: requests_status; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX requests_status ON public.requests USING btree (status, id);


--
-- Name: requests_user; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX requests_user ON public.requests USING btree (user_id);


--
-- Name: reviews_created; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX reviews_created ON public.reviews USING btree (created_at);


--
-- Name: reviews_status; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX reviews_status ON public.reviews USING btree (status, id);


--
-- Name: reviews_user; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX reviews_user ON public.reviews USING btree (user_id);


--
-- Name: send_log_chat; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX send_log_chat ON public.send_log USING btree (chat_id, at);


--
-- Name: request_events request_events_request_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.request_events
    ADD CONSTRAINT request_events_request_id_fkey FOREIGN KEY (request_id) REFERENCES public.requests(id);


--
-- PostgreSQL database dump complete
--

\unrestrict z1FUjwVPuAYJUebS3yXhBGxqiPIPhfhifKN4hrZW8xoN4gpAnz8AjkGrxKZwKKt

