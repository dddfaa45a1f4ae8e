-- Accounts and organisations: self-registration, e-mail addresses, notifications.

-- A user's optional e-mail address (notifications are mailed to it when SMTP is configured).
ALTER TABLE users ADD COLUMN email TEXT;
CREATE INDEX users_region ON users (region_id);

-- When an organisation registered itself (NULL: created by an administrator or the demo).
ALTER TABLE organizations ADD COLUMN registered_at BIGINT;
CREATE INDEX organizations_registered ON organizations (registered_at);

-- Self-registrations attempted per client address, for throttling (docs/security.md).
CREATE TABLE registration_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    address     TEXT    NOT NULL,
    at          BIGINT  NOT NULL
);
CREATE INDEX registration_attempts_address_at ON registration_attempts (address, at);

-- A user's inbox. `kind` is one of services::notifications::Kind's ids; `emailed_at` is set
-- once the message was handed to the SMTP server (or claimed for sending).
CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         BIGINT  NOT NULL REFERENCES users (id),
    kind            TEXT    NOT NULL,
    application_id  BIGINT  REFERENCES applications (id),
    title           TEXT    NOT NULL,
    body            TEXT    NOT NULL DEFAULT '',
    created_at      BIGINT  NOT NULL,
    read_at         BIGINT,
    emailed_at      BIGINT
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unmailed ON notifications (emailed_at, id);

CREATE INDEX audit_log_object ON audit_log (object);
CREATE INDEX audit_log_actor ON audit_log (actor_id);
