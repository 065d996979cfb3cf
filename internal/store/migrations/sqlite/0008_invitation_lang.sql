-- The language an invitation's e-mail went out in (the invitee's, else the inviter's).
ALTER TABLE invitations ADD COLUMN lang TEXT NOT NULL DEFAULT 'en';
