-- Least privilege: the application connects as a role that owns no table
-- (geodata.cluster_auth, migrate.grant_app_role).  Two things it does at run
-- time need the owner's rights, so they become SECURITY DEFINER functions
-- owned by the role that runs the migrations, with a fixed search_path:
-- creating a day partition (CREATE TABLE ... PARTITION OF needs the parent's
-- owner) and dropping one (DROP TABLE needs the table's owner).  Both accept
-- only registered day-partitioned tables and their _pYYYYMMDD partitions.

ALTER FUNCTION hexops_ensure_day_partitions(text, date, date)
    SECURITY DEFINER SET search_path = public, pg_temp;

CREATE FUNCTION hexops_drop_day_partition(partition text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    parent text := substring(partition FROM '^(.*)_p[0-9]{8}$');
BEGIN
    IF parent IS NULL
       OR NOT EXISTS (SELECT 1 FROM hexops_partitioned_tables t WHERE t.table_name = parent)
       OR NOT EXISTS (SELECT 1 FROM pg_inherits i
                       WHERE i.inhrelid = to_regclass(partition) AND i.inhparent = to_regclass(parent)) THEN
        RAISE EXCEPTION 'hexops_drop_day_partition: % is not a day partition of a registered table', partition
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    EXECUTE format('DROP TABLE %I', partition);
END $$;
