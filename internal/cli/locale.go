package cli

import "strings"

// localeLang returns the language of the user's locale for the server's
// messages, from the first of LC_ALL, LC_MESSAGES and LANG that is set (the
// POSIX order): "fr_FR.UTF-8" → "fr". It is "" for the C and POSIX locales
// and when none is set: the server then answers in English.
func localeLang(getenv func(string) string) string {
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := getenv(name)
		if v == "" {
			continue
		}
		// language[_territory][.codeset][@modifier]
		lang := v
		if i := strings.IndexAny(lang, "_.@-"); i >= 0 {
			lang = lang[:i]
		}
		lang = strings.ToLower(lang)
		if lang == "c" || lang == "posix" || len(lang) < 2 || len(lang) > 8 || strings.Trim(lang, "abcdefghijklmnopqrstuvwxyz") != "" {
			return ""
		}
		return lang
	}
	return ""
}
