package mail

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"strings"
	"text/template"
	"time"

	"mysystems/internal/clock"
	"mysystems/internal/errs"
)

// Languages are the languages mail is written in; the first is the default.
var Languages = []string{"en", "fr"}

// Kinds lists each kind of templated mail and the data keys its templates
// use. Compose refuses data missing one of them.
var Kinds = map[string][]string{
	"invitation": {"org", "inviter", "link", "expires"},
	"mfa_code":   {"code", "minutes"},
	// ACS Pro server alerts (SRV-1): at is when it was last heard from
	// (offline) or came back (online); minutes is its silence threshold.
	"server_offline": {"org", "server", "at", "link", "minutes"},
	"server_online":  {"org", "server", "at", "link"},
	// License reminders of the daily job (LIC-5, LIC-7): product is the
	// product's name, need its need; renewal: days until the renewal on
	// renews, missing what the next year lacks; grace: the grace period
	// ends on ends, missing what the year lacks; unlicensed: missing what
	// the year lacks.
	"license_renewal":    {"org", "product", "days", "renews", "need", "missing", "link"},
	"license_grace":      {"org", "product", "ends", "need", "missing", "link"},
	"license_unlicensed": {"org", "product", "need", "missing", "link"},
}

//go:embed templates/*.tmpl
var templateFS embed.FS

// templates maps "kind.lang" to its template, which defines "subject" and
// "text". Parsed once; a broken template fails every test at start-up.
var templates = func() map[string]*template.Template {
	out := map[string]*template.Template{}
	names, err := fs.Glob(templateFS, "templates/*.tmpl")
	if err != nil {
		panic(err)
	}
	for _, name := range names {
		key := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".tmpl")
		out[key] = template.Must(template.New(key).Option("missingkey=error").ParseFS(templateFS, name))
	}
	return out
}()

// Lang picks the mail language for a person's language setting ("fr-CA"
// is French; anything unknown is the default).
func Lang(lang string) string {
	lang = strings.ToLower(strings.TrimSpace(lang))
	if i := strings.IndexAny(lang, "-_"); i >= 0 {
		lang = lang[:i]
	}
	for _, l := range Languages {
		if l == lang {
			return l
		}
	}
	return Languages[0]
}

// Compose renders the subject and plain-text body of a kind of mail in the
// recipient's language. The subject ends up in logs: templates never put a
// secret in it.
func Compose(kind, lang string, data map[string]string) (subject, text string, err error) {
	keys, ok := Kinds[kind]
	if !ok {
		return "", "", errs.E(errs.Internal, "no mail template of kind %q", kind)
	}
	for _, k := range keys {
		if _, ok := data[k]; !ok {
			return "", "", errs.E(errs.Internal, "mail %s: missing data %q", kind, k)
		}
	}
	lang = Lang(lang)
	t, ok := templates[kind+"."+lang]
	if !ok {
		return "", "", errs.E(errs.Internal, "no %s template for mail %s", lang, kind)
	}
	var s, b bytes.Buffer
	if err := t.ExecuteTemplate(&s, "subject", data); err != nil {
		return "", "", errs.Wrap(err, "mail subject")
	}
	if err := t.ExecuteTemplate(&b, "text", data); err != nil {
		return "", "", errs.Wrap(err, "mail body")
	}
	// One line, whatever the data held (an organization name with a line
	// break must not end up as a header break).
	subject = strings.Join(strings.Fields(s.String()), " ")
	return subject, strings.TrimLeft(b.String(), "\n"), nil
}

var frMonths = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
	"septembre", "octobre", "novembre", "décembre"}

// FormatTime writes a moment for a mail in lang, in UTC: "2 March 2026,
// 09:00 UTC" or "2 mars 2026 à 09:00 UTC".
func FormatTime(t time.Time, lang string) string {
	t = t.UTC()
	if Lang(lang) == "fr" {
		return fmt.Sprintf("%d %s %d à %s UTC", t.Day(), frMonths[t.Month()-1], t.Year(), t.Format("15:04"))
	}
	return t.Format("2 January 2006, 15:04") + " UTC"
}

// FormatDay writes a calendar day for a mail in lang: "2 March 2026" or
// "2 mars 2026".
func FormatDay(t time.Time, lang string) string {
	if Lang(lang) == "fr" {
		return fmt.Sprintf("%d %s %d", t.Day(), frMonths[t.Month()-1], t.Year())
	}
	return t.Format("2 January 2006")
}

// Mailer makes outbox messages for one server: its clock and the host of
// its base URL, which names its Message-IDs.
type Mailer struct {
	Clock clock.Clock
	Host  string
}

// NewMailer returns the mailer of a server whose public URL is baseURL.
func NewMailer(clk clock.Clock, baseURL string) Mailer {
	if clk == nil {
		clk = clock.Real{}
	}
	return Mailer{Clock: clk, Host: Host(baseURL)}
}

// Message composes a kind of mail in lang for to, ready to enqueue. Its
// signature is that of the composers the domain services take.
func (m Mailer) Message(kind, lang, to string, data map[string]string) (Message, error) {
	subject, text, err := Compose(kind, lang, data)
	if err != nil {
		return Message{}, err
	}
	return NewMessage(m.Clock, m.Host, kind, to, subject, text), nil
}
