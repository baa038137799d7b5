-- Shared layers: the one definition of k-suppression used by every shared
-- query (OGC API items and vector tiles alike), so the two can never differ.
-- A count below k is withheld (NULL), never rounded or perturbed; counts are
-- compared after rounding to whole people, as they are published.
CREATE FUNCTION hexops_k_suppress(value double precision, k integer)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN value IS NULL OR round(value) < k THEN NULL ELSE round(value) END
$$;
