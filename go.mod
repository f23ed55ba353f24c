module github.com/entpipe/entpipe

go 1.26.0

require (
	github.com/grafana-tools/sdk v0.0.0-20220919052116-6562121319fc
	go.yaml.in/yaml/v3 v3.0.6
	golang.org/x/text v0.44.0
)

require (
	github.com/gosimple/slug v1.1.1 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	github.com/rainycape/unidecode v0.0.0-20150907023854-cb7f23ec59be // indirect
)
