package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"mysystems/internal/api"
)

func cmdLogin(ctx context.Context, e *env, args []string) error {
	f := e.flags("login", "[--server URL] [--email E] [--password-stdin] [--code C]",
		"Sign in and save the session token for the next commands. E-mail and password are\n"+
			"prompted on a terminal; in scripts give --email and the password on stdin\n"+
			"(--password-stdin) or in MYSYSTEMS_PASSWORD.", noToken)
	email := f.String("email", "", "the account's e-mail address")
	fromStdin := f.Bool("password-stdin", false, "read the password from the first line of stdin")
	code := f.String("code", "", "the second-factor code, when the account uses MFA")
	if _, err := e.parse(f, args, 0, 0); err != nil {
		return err
	}
	_, path, err := e.loadCredentials()
	if err != nil && path == "" {
		return err // no place to save the login; a damaged file is replaced below
	}
	c, err := e.client(false)
	if err != nil {
		return err
	}
	if *email == "" {
		if *fromStdin || !e.interactive {
			return usagef(f, "--email is required when the password comes from stdin or stdin is not a terminal")
		}
		if *email, err = e.prompt("E-mail: "); err != nil {
			return err
		}
	}
	if cleartext(c.Server) {
		fmt.Fprintf(e.errw, "warning: %s is not HTTPS: the password and token cross the network readable\n", c.Server)
	}
	pw, err := e.password(f, *fromStdin, false)
	if err != nil {
		return err
	}
	var res api.LoginResponse
	if err := c.do(ctx, http.MethodPost, "/api/v1/auth/login", api.LoginRequest{Email: *email, Password: pw}, &res); err != nil {
		return err
	}
	if res.MFARequired {
		if *code == "" {
			if !e.interactive {
				return usagef(f, "this account needs a second-factor code (%s): pass --code", res.Method)
			}
			if *code, err = e.prompt(fmt.Sprintf("Code (%s): ", res.Method)); err != nil {
				return err
			}
		}
		body := api.MFALoginRequest{Challenge: res.Challenge, Code: *code}
		res = api.LoginResponse{}
		if err := c.do(ctx, http.MethodPost, "/api/v1/auth/mfa", body, &res); err != nil {
			return err
		}
	}
	if res.Token == "" {
		return errors.New("the server signed you in but sent no token")
	}
	if err := saveCredentials(path, credentials{Server: c.Server, Token: res.Token}); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "Signed in to %s as %s <%s>.\n", c.Server, clean(res.User.Name), clean(res.User.Email))
	if e.getenv("MYSYSTEMS_TOKEN") != "" {
		fmt.Fprintln(e.errw, "note: MYSYSTEMS_TOKEN is set and takes precedence over this login until you unset it.")
	}
	if !res.ExpiresAt.IsZero() {
		fmt.Fprintf(e.errw, "The session lasts until %s; the token is saved in %s.\n", res.ExpiresAt.UTC().Format(time.RFC3339), path)
	}
	return nil
}

func cmdLogout(ctx context.Context, e *env, args []string) error {
	f := e.flags("logout", "", "End the saved session on the server and delete the saved token.\n"+
		"(A personal API token is not ended by logout: revoke it with 'mysystems tokens revoke ID'.)", noToken)
	if _, err := e.parse(f, args, 0, 0); err != nil {
		return err
	}
	creds, path, err := e.loadCredentials()
	if err != nil {
		if path == "" {
			return err
		}
		fmt.Fprintf(e.errw, "%v; deleting it\n", err)
		return removeFile(path)
	}
	if creds.Token == "" {
		fmt.Fprintln(e.errw, "Not signed in: nothing to do.")
		return nil
	}
	c := NewClient(creds.Server, creds.Token)
	c.Lang = localeLang(e.getenv)
	callErr := c.do(ctx, http.MethodPost, "/api/v1/auth/logout", nil, nil)
	var apiErr *APIError
	if errors.As(callErr, &apiErr) && apiErr.Code == "unauthenticated" {
		callErr = nil // the session had already ended
	}
	if err := removeFile(path); err != nil {
		return err
	}
	if callErr != nil {
		return fmt.Errorf("the saved token was deleted, but the session on %s may still be open: %w", creds.Server, callErr)
	}
	fmt.Fprintf(e.out, "Signed out of %s.\n", creds.Server)
	return nil
}

func cmdWhoami(ctx context.Context, e *env, args []string) error {
	f := e.flags("whoami", "", "Show the signed-in user and their organizations.", withJSON)
	_, c, err := e.start(f, args, 0, 0)
	if err != nil {
		return err
	}
	return show(ctx, e, c, http.MethodGet, "/api/v1/me", nil, "user", func(me api.MeResponse) error {
		fmt.Fprintf(e.out, "%s <%s>\nuser id  %s\nserver   %s\n", clean(me.User.Name), clean(me.User.Email), clean(me.User.ID), c.Server)
		if len(me.Orgs) == 0 {
			fmt.Fprintln(e.out, "\nNo organizations yet: create one with 'mysystems orgs create NAME'.")
			return nil
		}
		fmt.Fprintln(e.out)
		rows := make([][]string, 0, len(me.Orgs))
		for _, o := range me.Orgs {
			rows = append(rows, []string{clean(o.ID), clean(o.Name), clean(o.Role)})
		}
		return printTable(e.out, []string{"ORGANIZATION", "NAME", "ROLE"}, rows)
	})
}

func cmdRegister(ctx context.Context, e *env, args []string) error {
	f := e.flags("register", "--email E --name N [--password-stdin]",
		"Create an account. The password is prompted twice on a terminal, or read from\n"+
			"stdin (--password-stdin) or MYSYSTEMS_PASSWORD.", noToken)
	email := f.String("email", "", "e-mail address (required)")
	name := f.String("name", "", "your name (required)")
	fromStdin := f.Bool("password-stdin", false, "read the password from the first line of stdin")
	if _, err := e.parse(f, args, 0, 0); err != nil {
		return err
	}
	if *email == "" || *name == "" {
		return usagef(f, "--email and --name are required")
	}
	c, err := e.client(false)
	if err != nil {
		return err
	}
	pw, err := e.password(f, *fromStdin, true)
	if err != nil {
		return err
	}
	var res api.UserResponse
	body := api.RegisterRequest{Email: *email, Name: *name, Password: pw}
	if err := c.do(ctx, http.MethodPost, "/api/v1/auth/register", body, &res); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "Registered %s <%s> (%s) on %s.\nSign in with: mysystems login --email %s\n",
		clean(res.User.Name), clean(res.User.Email), clean(res.User.ID), c.Server, clean(res.User.Email))
	return nil
}
