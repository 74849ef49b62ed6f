{{- define "shop.image" -}}
{{ .root.Values.registry }}/{{ .image }}
{{- end -}}
