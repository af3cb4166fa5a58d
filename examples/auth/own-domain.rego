package stategate.authz

default allow := false

# Each user reads and writes only the domain named by its own `sub` claim.
allow if input.body.domain == input.claims.sub
