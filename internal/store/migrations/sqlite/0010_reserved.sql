-- Reserved for the migration another change brings (0010). This empty file
-- only keeps the numbering contiguous on this branch: drop it when that
-- change is merged.
SELECT 1;
