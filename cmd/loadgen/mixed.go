package main

// The mixed scenarios of `make load`:
//
//	mixed         64 clients of mixed reads: 1,000-feature items pages,
//	              summaries by district and street, gap areas
//	mixed-writes  the same reads while 16 writers post proposals to one
//	              scenario (each with an Idempotency-Key) and one client
//	              calls recommend in a loop; afterwards every acknowledged
//	              proposal must be stored (needs --token of a planner/admin)

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// mixedURLs: items pages, summaries and gap-area layers, interleaved.
func mixedURLs(o options) ([]string, error) {
	items, err := itemURLs(o)
	if err != nil {
		return nil, err
	}
	reads := []string{
		"/v1/summary", "/v1/summary?by=district", "/v1/summary?by=district&profile=elderly",
		"/v1/layers/gap-areas?type=kindergarten", "/v1/layers/gap-areas?type=primary_school&limit=100",
		"/v1/layers/gap-areas?type=community_health_center", "/v1/layers/gaps?type=pharmacy&limit=500",
	}
	var urls []string
	for i, u := range items {
		urls = append(urls, u, o.target+reads[i%len(reads)])
	}
	return urls, nil
}

// writeStats are what the writers and the recommend loop saw.
type writeStats struct {
	mu         sync.Mutex
	latencies  []time.Duration
	acked      map[string]bool // proposal ids answered 201
	status     map[int]int
	errors     int
	recommends atomic.Int64
	recStatus  sync.Map
	wait       func()
}

func (w *writeStats) add(d time.Duration, status int, id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.latencies = append(w.latencies, d)
	w.status[status]++
	if id != "" {
		w.acked[id] = true
	}
}

func post(client *http.Client, url, token, key string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// runWriters posts proposals from 16 writers and recommends in a loop
// until stop is closed.
func runWriters(o options, scenario string, stop <-chan struct{}) *writeStats {
	ws := &writeStats{acked: map[string]bool{}, status: map[int]int{}}
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 30 * time.Second}
	types := []string{"kindergarten", "pharmacy", "elderly_day_care", "community_canteen"}
	for w := 0; w < o.writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := 0; ; seq++ {
				select {
				case <-stop:
					return
				default:
				}
				body := fmt.Appendf(nil, `{"facilities": [{"type": %q, "lon": %.5f, "lat": %.5f, "name": "负载 w%d-%d"}]}`,
					types[(w+seq)%len(types)], 104.06+float64((w*37+seq*13)%60)/1000, 30.66+float64((w*11+seq*7)%60)/1000, w, seq)
				start := time.Now()
				status, b, err := post(client, o.target+"/v1/scenarios/"+scenario+"/proposals", o.token, fmt.Sprintf("load-%d-%d-%d", start.UnixNano(), w, seq), body)
				if err != nil {
					ws.mu.Lock()
					ws.errors++
					ws.mu.Unlock()
					continue
				}
				id := ""
				if status == http.StatusCreated {
					var p struct {
						ID string `json:"id"`
					}
					json.Unmarshal(b, &p) //nolint:errcheck // an empty id is reported as lost below
					id = p.ID
				}
				ws.add(time.Since(start), status, id)
				if status == http.StatusTooManyRequests {
					time.Sleep(200 * time.Millisecond)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		body := []byte(`{"types": ["kindergarten", "pharmacy"], "k": 5}`)
		for {
			select {
			case <-stop:
				return
			default:
			}
			status, _, err := post(client, o.target+"/v1/recommend", "", "", body)
			if err == nil {
				v, _ := ws.recStatus.LoadOrStore(status, new(atomic.Int64))
				v.(*atomic.Int64).Add(1)
			}
			ws.recommends.Add(1)
			if status == http.StatusTooManyRequests {
				time.Sleep(500 * time.Millisecond)
			}
		}
	}()
	ws.wait = wg.Wait
	return ws
}

// mixedWrites runs the reads with the writers, then checks that every
// acknowledged proposal is stored.
func mixedWrites(o options, urls []string, out io.Writer) error {
	if o.token == "" {
		return fmt.Errorf("--scenario mixed-writes needs --token (lifecircle users add … --role admin)")
	}
	status, b, err := post(http.DefaultClient, o.target+"/v1/scenarios", o.token, "", []byte(`{"name": "负载测试 load test"}`))
	if err != nil || status != http.StatusCreated {
		return fmt.Errorf("creating the scenario: %d %s %v", status, b, err)
	}
	var sc struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &sc); err != nil {
		return err
	}
	stop := make(chan struct{})
	ws := runWriters(o, sc.ID, stop)
	m := attack(o, urls)
	close(stop)
	ws.wait()
	report(out, o, len(urls), m)

	var list struct {
		Proposals []struct {
			ID string `json:"id"`
		} `json:"proposals"`
	}
	if err := getJSON(o.target+"/v1/scenarios/"+sc.ID+"/proposals", &list); err != nil {
		return err
	}
	stored := map[string]bool{}
	for _, p := range list.Proposals {
		stored[p.ID] = true
	}
	lost := 0
	for id := range ws.acked {
		if !stored[id] {
			lost++
		}
	}
	sort.Slice(ws.latencies, func(i, j int) bool { return ws.latencies[i] < ws.latencies[j] })
	pct := func(p float64) string {
		if len(ws.latencies) == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f ms", float64(ws.latencies[int(p*float64(len(ws.latencies)-1))])/1e6)
	}
	rec := map[int]int64{}
	ws.recStatus.Range(func(k, v any) bool { rec[k.(int)] = v.(*atomic.Int64).Load(); return true })
	fmt.Fprintf(out, "writers %d: %d proposals posted (%.0f/s), status codes %v, transport errors %d, latency p50 %s p99 %s\n",
		o.writers, len(ws.latencies), float64(len(ws.latencies))/o.duration.Seconds(), ws.status, ws.errors, pct(0.5), pct(0.99))
	fmt.Fprintf(out, "recommend loop: %d calls, status codes %v\n", ws.recommends.Load(), rec)
	fmt.Fprintf(out, "acknowledged %d, stored %d, lost %d\n", len(ws.acked), len(list.Proposals), lost)
	if lost > 0 {
		return fmt.Errorf("%d acknowledged proposals are not stored", lost)
	}
	if m.Success < 1 {
		return fmt.Errorf("%.2f %% of the reads failed", 100*(1-m.Success))
	}
	return nil
}
