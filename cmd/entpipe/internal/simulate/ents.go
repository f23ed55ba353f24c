package simulate

// ENT is one simulated platform. Volumes are counted visits (rule 4 of
// docs/design.md#audience-definitions) at scale 1; the population is the
// number of accounts that visits draw their visitor from, so unique
// visitors follow from it.
type ENT struct {
	Name       string // instance slug, the ent tag and the log directory
	Department string
	Host       string // referer host of the simulated pages
	// SchoolDay is the counted visits of a reference school day (a Tuesday
	// outside holidays, after the September ramp); Lockdown of a reference
	// weekday with schools closed.
	SchoolDay, Lockdown float64
	// Accounts by profile: eleve, parent, enseignant, personnel.
	Accounts [4]int
}

// ENTs returns the three platforms of the bulletin. ENT 92 is sized after
// the bulletin ("dimensionné pour 180 000 visites par jour"), which it nearly
// reaches in late March 2020; the Yvelines platforms are scaled on their
// share of the 120,000 collégiens.
func ENTs() []ENT {
	return []ENT{
		{Name: "ent92", Department: "92", Host: "ent92.example", SchoolDay: 92_000, Lockdown: 181_000,
			Accounts: [4]int{70_000, 95_000, 6_500, 2_200}},
		{Name: "ecollege78", Department: "78", Host: "ecollege78.example", SchoolDay: 56_000, Lockdown: 108_000,
			Accounts: [4]int{42_000, 58_000, 4_000, 1_400}},
		{Name: "oze78", Department: "78", Host: "oze78.example", SchoolDay: 14_000, Lockdown: 27_000,
			Accounts: [4]int{11_000, 15_000, 1_100, 400}},
	}
}

// ENTNames returns the names of ENTs(), for Options.ENTs.
func ENTNames() []string {
	var names []string
	for _, e := range ENTs() {
		names = append(names, e.Name)
	}
	return names
}

// Profile indexes: the four authenticated profiles, then anonymous.
const (
	pEleve = iota
	pParent
	pEnseignant
	pPersonnel
	pAnonyme
	nProfiles
)

// rawProfile is the $ent_profile value of each profile index, as the ENTs
// log it (the default mapping of docs/design.md#vocabularies).
func rawProfile(p int) string {
	return [nProfiles]string{"ELEVE", "PARENT", "ENSEIGNANT", "PERSONNEL", "-"}[p]
}

// profileShares are the shares of visits by profile: pupils dominant, then
// parents and teachers, a few staff, and anonymous visits of the public
// pages. Lockdown raises the pupils' share.
func profileShares(lock bool) [nProfiles]float64 {
	if lock {
		return [nProfiles]float64{0.64, 0.19, 0.12, 0.02, 0.03}
	}
	return [nProfiles]float64{0.60, 0.20, 0.14, 0.03, 0.03}
}

// services are the ENT applications (the first path segment) with the
// weight of each profile's page views, in profile index order.
func services() []struct {
	name    string
	weights [4]float64
} {
	return []struct {
		name    string
		weights [4]float64
	}{
		{"timeline", [4]float64{15, 20, 10, 20}},
		{"conversation", [4]float64{15, 20, 22, 30}},
		{"homeworks", [4]float64{22, 15, 20, 2}},
		{"workspace", [4]float64{15, 3, 18, 15}},
		{"blog", [4]float64{6, 5, 8, 5}},
		{"pages", [4]float64{5, 2, 5, 8}},
		{"actualites", [4]float64{5, 10, 4, 10}},
		{"schoolbook", [4]float64{3, 15, 4, 5}},
		{"calendar", [4]float64{4, 10, 4, 5}},
		{"exercizer", [4]float64{8, 0, 10, 0}},
	}
}

// userAgents of the simulated browsers; bots carry the markers of
// docs/design.md#audience-definitions.
func userAgents() []string {
	return []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/80.0.3987.149 Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:74.0) Gecko/20100101 Firefox/74.0",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 13_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0.5 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Linux; Android 9; SM-A505FN) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/80.0.3987.132 Mobile Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_3) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0.5 Safari/605.1.15",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/80.0.3987.132 Safari/537.36",
		"Mozilla/5.0 (iPad; CPU OS 13_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0.4 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Windows NT 6.1; Win64; x64; Trident/7.0; rv:11.0) like Gecko",
	}
}

func botAgents() []string {
	return []string{
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
		"python-requests/2.22.0",
		"curl/7.64.0",
		"Mozilla/5.0 (compatible; AhrefsBot/6.1; +http://ahrefs.com/robot/)",
		"Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
	}
}
