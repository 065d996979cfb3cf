package web_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// EnvChromium overrides the browser used by the browser test.
const EnvChromium = "MYSYSTEMS_TEST_CHROMIUM"

// chromium returns the path of Debian's chromium, skipping the test when it
// is missing (and failing under CI, where nothing may be skipped).
func chromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv(EnvChromium)
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium not found at %s (set %s): CI must run the browser test", path, EnvChromium)
		}
		t.Skipf("chromium not found at %s (set %s); browser test skipped", path, EnvChromium)
	}
	return path
}

// browser drives one headless Chromium through steps, each with its own
// deadline, and saves a screenshot when a step fails.
type browser struct {
	t   *testing.T
	ctx context.Context
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	// The browser lives as long as the context of its first run: start it on
	// the long-lived context, so that a step's deadline ends only that step.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &browser{t: t, ctx: bctx}
}

// stepTimeout bounds each step; the journey has a dozen.
const stepTimeout = 10 * time.Second

func (b *browser) step(name string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.screenshot(name)
		b.t.Fatalf("step %q: %v", name, err)
	}
}

// value runs one action that reads something from the page.
func value[T any](b *browser, name string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.screenshot(name)
		b.t.Fatalf("step %q: %v", name, err)
	}
	return v
}

func (b *browser) check(name string, ok bool, format string, args ...any) {
	b.t.Helper()
	if !ok {
		b.screenshot(name)
		b.t.Fatalf("step %q: "+format, append([]any{name}, args...)...)
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

func (b *browser) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	// Quality 100 makes a PNG; anything less, a JPEG.
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot of %q failed: %v", name, err)
		return
	}
	dir := filepath.Join("testdata", "failures")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, unsafeName.ReplaceAllString(b.t.Name()+"-"+name, "_")+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Logf("save screenshot: %v", err)
		return
	}
	abs, _ := filepath.Abs(path)
	b.t.Logf("screenshot of the failed step: %s", abs)
}

// TestID1_BrowserJourney walks the main path a person takes, in a real browser:
// register, create an organization, rename it, read a page in French,
// archive the organization, and see it gone (ID-1, ID-2, ORG-1, ORG-2, ORG-4).
func TestID1_BrowserJourney(t *testing.T) {
	b := newBrowser(t)
	srv, _ := server(t)
	start := time.Now()

	b.step("register",
		chromedp.Navigate(srv.URL+"/register"),
		chromedp.WaitVisible("#email"),
		chromedp.SendKeys("#email", "journey@example.com"),
		chromedp.SendKeys("#name", "Journey Person"),
		chromedp.SendKeys("#password", password),
		chromedp.Click("#register-submit"),
		chromedp.WaitVisible("#home-empty"),
	)

	b.step("create organization",
		chromedp.Click("#create-org"),
		chromedp.WaitVisible("#org-create-submit"),
		chromedp.SendKeys("#name", "Journey Org"),
		chromedp.SendKeys("#notes", "First notes"),
		chromedp.Click("#org-create-submit"),
		chromedp.WaitVisible("#org-id"),
	)
	orgID := value(b, "organization id", chromedp.Text("#org-id"))
	b.check("create organization", strings.HasPrefix(orgID, "org_"), "organization id %q", orgID)

	b.step("rename",
		chromedp.Click("#settings-edit"),
		chromedp.WaitVisible("#settings-save"),
		chromedp.Clear("#name"),
		chromedp.SendKeys("#name", "Renamed Org"),
		chromedp.Click("#settings-save"),
		chromedp.WaitVisible("#flash"),
	)
	name := value(b, "renamed", chromedp.Text("#org-name"))
	current := value(b, "switcher", chromedp.Text("#switcher-current"))
	b.check("rename", name == "Renamed Org" && current == "Renamed Org",
		"got name %q and switcher %q, want Renamed Org", name, current)

	b.step("switch to French",
		chromedp.Click("#lang-fr"),
		chromedp.WaitVisible(`html[lang="fr"] #archive-heading`),
	)
	heading := value(b, "French heading", chromedp.Text("#archive-heading"))
	panel := value(b, "French panel", chromedp.Text(chromedp.CSS("nav.panel")))
	b.check("switch to French", heading == "Archiver une organisation" && strings.Contains(panel, "Paramètres"),
		"got heading %q and panel %q", heading, panel)
	b.step("switch back to English",
		chromedp.Click("#lang-en"),
		chromedp.WaitVisible(`html[lang="en"] #archive-heading`),
	)

	// At tablet width the side panel moves above the page.
	b.step("tablet width", chromedp.EmulateViewport(768, 1024))
	stacked := value(b, "tablet layout", chromedp.Evaluate[bool](`document.querySelector("nav.panel").getBoundingClientRect().bottom <=
		document.querySelector("main").getBoundingClientRect().top + 1`))
	b.step("laptop width", chromedp.EmulateViewport(1280, 900))
	b.check("tablet width", stacked, "the side panel is not above the page at 768 px")

	b.step("archive confirmation",
		chromedp.Click("#archive-link"),
		chromedp.WaitVisible("#confirm_id"),
		chromedp.SendKeys("#confirm_id", orgID),
	)
	// Without the acknowledgement the button stays disabled.
	disabled := value(b, "archive button", chromedp.Evaluate[bool](`document.querySelector("#archive-submit").disabled`))
	b.check("archive confirmation", disabled, "the Archive button is enabled before the risk is acknowledged")

	b.step("archive",
		chromedp.Click("#acknowledge"),
		chromedp.Click("#archive-submit"),
		chromedp.WaitVisible("#home-empty"),
	)
	flash := value(b, "archived flash", chromedp.Text("#flash"))
	b.check("archive", strings.Contains(flash, "Renamed Org") && strings.Contains(flash, "archived"),
		"flash %q", flash)
	left := value(b, "archived listed", chromedp.Evaluate[int](`document.querySelectorAll('[data-org-id="`+orgID+`"]').length`))
	b.check("archive", left == 0, "the archived organization is still listed %d times", left)

	b.step("switcher",
		chromedp.Click("#org-switcher summary"),
		chromedp.WaitVisible("#switcher-create"),
	)
	entries := value(b, "switcher entries", chromedp.Evaluate[int](`document.querySelectorAll("#org-switcher [data-org-id]").length`))
	b.check("switcher", entries == 0, "the switcher still lists %d organizations", entries)
	t.Logf("journey took %s", time.Since(start).Round(time.Millisecond))
}
