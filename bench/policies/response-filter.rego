# A response policy: entities and events whose values say `hidden: true` are withheld from reads.
package stategate.authz

default allow := true

entity_reads := {"/stategate.EntityService/Get", "/stategate.EntityService/Search"}

event_reads := {"/stategate.EventService/Search", "/stategate.EventService/Stream", "/stategate.EventService/Get"}

allow := false if {
	input.method in entity_reads
	input.response.values.hidden == true
}

allow := false if {
	input.method in event_reads
	input.response.entity.values.hidden == true
}
