-- An incident's first message is worth most with the failing job, step and
-- first error line, which the issues role reads from the run's log a moment
-- after the incident opens. A delivery of an `opened` change waits for that
-- (its issue linked, or its failure context stored) for at most
-- FAULTLINE_NOTIFY_CONTEXT_WAIT, then goes with what is known.
ALTER TABLE notification_deliveries ADD COLUMN awaiting_context boolean NOT NULL DEFAULT false;
