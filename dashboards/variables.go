package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// variable is a multi-value board variable read from InfluxDB with
// SHOW TAG VALUES, with "All": a director picks one or several
// départements or ENTs, or all of them. Grafana rereads the values at each
// load, so a new ENT appears without a new export. def is the value the
// board opens on ("" for All).
func variable(name, label, description, query, def string) cog.Builder[dashboard.VariableModel] {
	current := dashboard.VariableOption{Selected: ptr(true),
		Text: dashboard.StringOrArrayOfString{ArrayOfString: []string{"All"}}, Value: dashboard.StringOrArrayOfString{ArrayOfString: []string{"$__all"}}}
	if def != "" {
		current.Text.ArrayOfString, current.Value.ArrayOfString = []string{def}, []string{def}
	}
	return dashboard.NewQueryVariableBuilder(name).Label(label).Description(description).
		Datasource(influxRef()).Query(dashboard.StringOrMap{String: &query}).Definition(query).
		Multi(true).IncludeAll(true).Current(current).
		Refresh(dashboard.VariableRefreshOnDashboardLoad).Sort(dashboard.VariableSortNaturalAsc)
}

// departmentVariable lists the départements of the ENT measurements.
func departmentVariable() cog.Builder[dashboard.VariableModel] {
	return variable("department", "Département", "Départements dont les ENT sont comptés (92, 78).", VarDepartments, "")
}

// entVariable lists the ENTs of the chosen départements.
func entVariable(def string) cog.Builder[dashboard.VariableModel] {
	return variable("ent", "ENT", "ENT comptés, parmi ceux des départements choisis.", VarENTs, def)
}

// siteVariables are the département and ENT choices of the ENT boards.
func siteVariables(ent string) []cog.Builder[dashboard.VariableModel] {
	return []cog.Builder[dashboard.VariableModel]{departmentVariable(), entVariable(ent)}
}
