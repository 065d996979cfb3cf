-- Reserved: 0007 comes from another change (this placeholder is dropped when both are merged).
SELECT 1;
