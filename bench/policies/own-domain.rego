package stategate.authz

default allow := false

# S9's request policy (as examples/auth/own-domain.rego): each caller reads and writes only its own domain.
allow if input.body.domain == input.claims.sub
