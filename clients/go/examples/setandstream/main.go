// Command setandstream sets an entity, then streams its events: the stored one first (a resume from
// position 0), then the live ones that two edits make. It prints each event and a final `OK 3 events`.
//
//	STATEGATE_URL=http://127.0.0.1:8080 go run ./examples/setandstream            # gRPC over h2c
//	STATEGATE_URL=http://127.0.0.1:8080 go run ./examples/setandstream -protocol connect
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/stategate/stategate/clients/go/stategatepb"
	"github.com/stategate/stategate/clients/go/stategatepb/stategatepbconnect"
)

const wanted = 3

func main() {
	protocol := flag.String("protocol", "grpc", "grpc (HTTP/2 cleartext), grpcweb or connect")
	flag.Parse()
	url := os.Getenv("STATEGATE_URL")
	if url == "" {
		url = "http://127.0.0.1:8080"
	}
	if err := run(url, *protocol); err != nil {
		log.Fatal(err)
	}
}

func run(url, protocol string) error {
	httpClient, opts, err := clientFor(protocol)
	if err != nil {
		return err
	}
	entities := stategatepbconnect.NewEntityServiceClient(httpClient, url, opts...)
	events := stategatepbconnect.NewEventServiceClient(httpClient, url, opts...)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	domain, typ, key := "example", "user", "ada-"+rand.Text()

	// 1. Set the entity: its first version, and the first event in its history.
	values, err := structpb.NewStruct(map[string]any{"name": "Ada", "visits": 1})
	if err != nil {
		return err
	}
	set := &stategatepb.Entity{Domain: domain, Type: typ, Key: key, Values: values}
	if _, err := entities.Set(ctx, connect.NewRequest(set)); err != nil {
		return fmt.Errorf("set: %w", err)
	}

	// 2. Stream its events. After 0 replays the stored ones first (here: the Set), then goes on live with
	//    no gap; the key filter keeps the stream to this one entity.
	streamCtx, stopStream := context.WithCancel(ctx)
	defer stopStream()
	opts2 := &stategatepb.StreamEventOpts{Domain: domain, Type: typ, Key: key, After: proto.Int64(0)}
	stream, err := events.Stream(streamCtx, connect.NewRequest(opts2))
	if err != nil {
		return fmt.Errorf("stream: %w", err)
	}
	seen := 0
	for seen < wanted && stream.Receive() {
		seen++
		event := stream.Msg()
		entity := event.GetEntity()
		values, err := json.Marshal(entity.GetValues().AsMap())
		if err != nil {
			return err
		}
		fmt.Printf("event %d: %s version=%d position=%d values=%s\n",
			seen, event.GetMethod(), entity.GetVersion(), event.GetPosition(), values)
		if seen == wanted {
			break
		}
		// 3. Each change appends an event, which the open stream delivers live.
		patch, err := structpb.NewStruct(map[string]any{"visits": seen + 1})
		if err != nil {
			return err
		}
		edit := &stategatepb.Entity{Domain: domain, Type: typ, Key: key, Values: patch}
		if _, err := entities.Edit(ctx, connect.NewRequest(edit)); err != nil {
			return fmt.Errorf("edit: %w", err)
		}
	}
	if seen < wanted {
		return fmt.Errorf("stream ended after %d of %d events: %w", seen, wanted, stream.Err())
	}
	stopStream() // the stream never ends by itself: cancel it, then release it
	_ = stream.Close()
	fmt.Printf("OK %d events\n", seen)
	return nil
}

// clientFor answers the HTTP client and connect options for a protocol. gRPC needs HTTP/2: without TLS,
// that is HTTP/2 cleartext with prior knowledge (h2c), which net/http speaks since Go 1.24.
func clientFor(protocol string) (*http.Client, []connect.ClientOption, error) {
	switch protocol {
	case "grpc":
		protocols := new(http.Protocols)
		protocols.SetUnencryptedHTTP2(true)
		return &http.Client{Transport: &http.Transport{Protocols: protocols}}, []connect.ClientOption{connect.WithGRPC()}, nil
	case "grpcweb":
		return http.DefaultClient, []connect.ClientOption{connect.WithGRPCWeb()}, nil
	case "connect":
		return http.DefaultClient, nil, nil
	default:
		return nil, nil, fmt.Errorf("unknown protocol %q: grpc, grpcweb or connect", protocol)
	}
}
