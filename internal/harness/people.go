package harness

import (
	"context"
	"net/http"

	"mysystems/internal/access"
	"mysystems/internal/org"
)

// Password is the password of every person User registers.
const Password = "a long enough passphrase"

// User is a registered, signed-in person.
type User struct {
	ID    string
	Email string
	Name  string
	Token string // a session token for the API
}

// User registers a person through the API (display name "User <email>")
// and signs them in.
func (s *Server) User(email string) User {
	s.T.Helper()
	name := "User " + email
	r := s.Call("POST", "/api/v1/auth/register", "", map[string]string{"email": email, "name": name, "password": Password})
	if r.Status != http.StatusCreated {
		s.T.Fatalf("register %s: %d %s", email, r.Status, r.Body)
	}
	r = s.Call("POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": Password})
	if r.Status != http.StatusOK {
		s.T.Fatalf("login %s: %d %s", email, r.Status, r.Body)
	}
	u, _ := r.JSON["user"].(map[string]any)
	id, _ := u["id"].(string)
	return User{ID: id, Email: email, Name: name, Token: r.Str("token")}
}

// Org creates an organization of token's person through the API and
// returns its id and the id of its root folder.
func (s *Server) Org(token, name string) (id, root string) {
	s.T.Helper()
	r := s.Call("POST", "/api/v1/orgs", token, map[string]string{"name": name})
	if r.Status != http.StatusCreated {
		s.T.Fatalf("create org: %d %s", r.Status, r.Body)
	}
	return r.Str("id"), r.Str("root_folder_id")
}

// Join makes userID a member of orgID with role and the given folder grants,
// directly in the store (invitations have their own tests).
func (s *Server) Join(orgID, userID string, role access.Role, folders ...string) {
	s.T.Helper()
	ctx := context.Background()
	if err := s.DB.Orgs().Write(ctx, func(tx org.Tx) error {
		if err := tx.AddMember(ctx, org.Membership{OrgID: orgID, UserID: userID, Role: role, CreatedAt: s.Now()}); err != nil {
			return err
		}
		if len(folders) == 0 {
			return nil
		}
		return tx.SetGrants(ctx, orgID, userID, folders)
	}); err != nil {
		s.T.Fatal(err)
	}
}

// Member registers a person and makes them a member of orgID with role
// (and folder grants).
func (s *Server) Member(orgID, email string, role access.Role, folders ...string) User {
	s.T.Helper()
	u := s.User(email)
	s.Join(orgID, u.ID, role, folders...)
	return u
}
