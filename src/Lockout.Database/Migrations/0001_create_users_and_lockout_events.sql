-- Lockout's schema. Names and types are chosen to port to Oracle, the seed's database:
--   unquoted upper-case names; VARCHAR(n) (Oracle: VARCHAR2(n)); BIGINT (Oracle: NUMBER(19));
--   INTEGER; TIMESTAMP WITH TIME ZONE; identity columns (Oracle 12c+).

CREATE TABLE USERS (
    USER_ID             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    USERNAME            VARCHAR(256)  NOT NULL,
    -- Upper-invariant form, as ASP.NET Core Identity normalizes names; logins look users up by it.
    NORMALIZED_USERNAME VARCHAR(256)  NOT NULL,
    -- ASP.NET Core Identity v3 format (PBKDF2-HMAC-SHA512, salted), base64.
    PASSWORD_HASH       VARCHAR(512)  NOT NULL,
    LOCK_STATUS         VARCHAR(16)   DEFAULT 'UNLOCKED' NOT NULL,
    LOCKED_AT           TIMESTAMP WITH TIME ZONE,
    -- NULL while locked means "until an admin unlocks".
    LOCKED_UNTIL        TIMESTAMP WITH TIME ZONE,
    -- Version of the last lock decision applied; older decisions are ignored.
    LOCK_VERSION        BIGINT        DEFAULT 0 NOT NULL,
    CREATED_AT          TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT UQ_USERS_NORMALIZED_USERNAME UNIQUE (NORMALIZED_USERNAME),
    CONSTRAINT CK_USERS_LOCK_STATUS CHECK (LOCK_STATUS IN ('LOCKED', 'UNLOCKED'))
);

-- The audit log: one row per lock decision, whether or not the username exists.
CREATE TABLE LOCKOUT_EVENTS (
    EVENT_ID      VARCHAR(36)   NOT NULL,
    USERNAME      VARCHAR(256)  NOT NULL,
    EVENT_TYPE    VARCHAR(16)   NOT NULL,
    ATTEMPTS      INTEGER       NOT NULL,
    EVENT_VERSION BIGINT        NOT NULL,
    OCCURRED_AT   TIMESTAMP WITH TIME ZONE NOT NULL,
    LOCKED_UNTIL  TIMESTAMP WITH TIME ZONE,
    RECORDED_AT   TIMESTAMP WITH TIME ZONE NOT NULL,
    -- W3C trace id of the login or admin request that caused the event.
    TRACE_ID      VARCHAR(32),
    CONSTRAINT PK_LOCKOUT_EVENTS PRIMARY KEY (EVENT_ID),
    CONSTRAINT CK_LOCKOUT_EVENTS_TYPE CHECK (EVENT_TYPE IN ('LOCKED', 'UNLOCKED'))
);

CREATE INDEX IX_LOCKOUT_EVENTS_USERNAME ON LOCKOUT_EVENTS (USERNAME, OCCURRED_AT);
