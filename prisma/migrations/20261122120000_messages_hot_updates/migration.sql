-- Every message row is rewritten once, by its delivery report. With half of each
-- page left free, the new version lands in the same page (a HOT update): no entry
-- is added to the primary key or the "to" index, and less WAL is written. The
-- space is not wasted: an update that leaves the page leaves a dead version behind
-- instead, so the table reaches about this size either way.
ALTER TABLE "messages" SET (fillfactor = 50);
