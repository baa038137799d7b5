-- What a shared layer's reader may see, applied in one place to items and
-- tiles alike (geodata.sharing.shared_source).  A collection declares its
-- suppressed fields (counts of people or incidents) and its camera fields
-- (figures from which camera counts or positions follow); sources publish
-- raw values and never suppress for themselves.
--
-- Suppression is per record: when any declared count rounds below k, every
-- declared count of the record is withheld, so one published count cannot
-- bound a withheld sibling.  Camera fields are removed (step NULL) or rounded
-- to their step, for readers not granted camera_positions (the caller passes
-- empty arrays for the others).  The Python twin is
-- hexops.analytics.sharing.share_props; the tests check they agree.
CREATE FUNCTION hexops_share_props(props jsonb, suppressed text[], k integer,
                                   camera_fields text[], camera_steps double precision[])
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    result   jsonb := props;
    field    text;
    i        integer;
    value    double precision;
    withheld boolean := false;
BEGIN
    FOR i IN 1 .. coalesce(cardinality(camera_fields), 0) LOOP
        field := camera_fields[i];
        IF camera_steps[i] IS NULL OR NOT result ? field THEN
            result := result - field;
        ELSE
            value := (result ->> field)::double precision;
            result := jsonb_set(result, ARRAY[field],
                                coalesce(to_jsonb(round(value / camera_steps[i]) * camera_steps[i]), 'null'));
        END IF;
    END LOOP;
    IF coalesce(cardinality(suppressed), 0) = 0 THEN
        RETURN result;
    END IF;
    FOREACH field IN ARRAY suppressed LOOP
        IF hexops_k_suppress((result ->> field)::double precision, k) IS NULL THEN
            withheld := true;
        END IF;
    END LOOP;
    FOREACH field IN ARRAY suppressed LOOP
        result := jsonb_set(result, ARRAY[field],
                            CASE WHEN withheld THEN 'null'::jsonb
                                 ELSE to_jsonb(hexops_k_suppress((result ->> field)::double precision, k)) END);
    END LOOP;
    RETURN result || jsonb_build_object('suppressed', withheld);
END $$;
