package dashboards

// The audience definitions of docs/design.md#audience-definitions, in
// French, as the panel descriptions show them: a director reading a chart
// can check what is counted without leaving Grafana.
const (
	defPageView = "Page vue : requête d'une page de l'ENT (ni fichier statique, ni API, ni téléchargement, ni robot, ni sonde), " +
		"méthode GET, réponse 2xx ou 304."
	defVisit = "Visite : suite des pages vues d'un même visiteur, coupée après 30 minutes sans page vue ou au changement de jour " +
		"(heure de Paris) ; comptée une fois, dans la minute de sa première page vue, avec le profil du visiteur."
	defVisitor = "Visiteur : l'utilisateur authentifié, sinon le couple (adresse IP, navigateur), connu seulement par une empreinte salée."
	defUnique  = "Visiteurs uniques : visiteurs distincts ayant vu au moins une page dans la journée (heure de Paris) ; " +
		"comptes exacts, jamais des sommes de périodes plus courtes. Un visiteur de deux ENT d'un même département compte pour chacun."
	defOpen    = "Visites en cours : visites ouvertes à la fin de chaque minute (dernière page vue il y a moins de 30 minutes)."
	defProfile = "Profils : Élèves, Parents, Enseignants, Personnels, Invités (comptes invités), Autres (authentifiés, profil inconnu), " +
		"Anonymes (non authentifiés)."
	defDays     = "Jours de Paris (le 29 mars 2020 dure 23 h)."
	defEnseigno = "Source : exports d'usage Enseigno, une valeur par jour ; la discipline « all » porte les totaux."
	defLive     = "Moyenne ou maximum par intervalle d'affichage ($__interval) ; données de collecte d'entpipe."
)
