-- A neutralized copy of the database must not call the platforms with
-- production credentials (crons are deactivated by base's neutralization).
DELETE FROM ec_connector_credential;
UPDATE ec_shop SET connector_active = FALSE;
