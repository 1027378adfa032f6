-- An incident's first message is worth most with the failing job, step and
-- first error line, which the issues role reads from the run's log a moment
-- after the incident opens. A delivery of an `opened` change waits for that
-- (its issue linked, or its failure context stored) for at most
-- FAULTLINE_NOTIFY_CONTEXT_WAIT, then goes with what is known.
--
-- The category comes with that context, so a channel whose matching rules all
-- ask for categories gets the change provisionally: wanted_categories lists
-- them, and when the wait ends the delivery goes only if the incident's
-- category is one of them (otherwise it is deleted: the rules did not want it).
ALTER TABLE notification_deliveries
  ADD COLUMN awaiting_context boolean NOT NULL DEFAULT false,
  ADD COLUMN wanted_categories text[];
-- Every sender pass looks for the waiting ones among all deliveries ever made.
CREATE INDEX notification_deliveries_awaiting_context ON notification_deliveries (incident_id)
  WHERE awaiting_context;
