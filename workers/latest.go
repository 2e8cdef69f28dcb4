package workers

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/vitrina-shop/vitrina/core"
)

// Coalesced messages (core.Message.Coalesce): a channel post's counter changes
// with every sale, but only its latest state is worth sending, no faster than the
// channel's limit. Each state is written over the last in one Redis hash per
// Coalesce name, with a version; one TypeSendLatest task per name sends whatever
// is latest when it runs, and goes on until the version it sent is the latest.

// latestKeep is how long a coalesced state is kept after it was written.
const latestKeep = 24 * time.Hour

// latestKey is the hash of a coalesced state: m (the message), v (its version),
// sent (the version sent last).
func (s *sender) latestKey(name string) string { return s.prefix + "latest:" + name }

// storeLatest writes m as the latest state of its name and returns its version,
// unless the stored state ranks higher (ARGV[3], Message.Rank): then it returns 0
// and writes nothing.
var storeLatest = redis.NewScript(`
local rank = tonumber(ARGV[3])
local stored = tonumber(redis.call('HGET', KEYS[1], 'r') or '-1')
if rank < stored then return 0 end
local v = redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('HSET', KEYS[1], 'm', ARGV[1], 'r', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return v`)

// markLatestSent records that version ARGV[1] was sent, and returns the current
// version: equal when nothing newer came meanwhile.
var markLatestSent = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local sent = tonumber(redis.call('HGET', KEYS[1], 'sent') or '0')
if tonumber(ARGV[1]) > sent then
  redis.call('HSET', KEYS[1], 'sent', ARGV[1])
end
return tonumber(redis.call('HGET', KEYS[1], 'v') or '0')`)

// sendLatest stores m as the latest state of m.Coalesce and makes sure a task
// will send it. The task of the name may be pending (it will send this state),
// or running (it checks the version after its send); in case it is finishing
// already, a second task named after this version follows a second later.
func (w *Workers) sendLatest(ctx context.Context, m core.Message) error {
	body, err := json.Marshal(sendTask{Message: m, Enqueued: time.Now().UnixMicro()})
	if err != nil {
		return fmt.Errorf("enqueue message %s: %w", m.Key, err)
	}
	s := w.send
	v, err := storeLatest.Run(ctx, s.rdb, []string{s.latestKey(m.Coalesce)}, body, latestKeep.Milliseconds(), m.Rank).Int64()
	if err != nil {
		return fmt.Errorf("store latest %s: %w", m.Coalesce, err)
	}
	if v == 0 {
		return nil // a later state is stored already
	}
	payload, _ := json.Marshal(latestTask{Coalesce: m.Coalesce})
	queue := asynq.Queue(w.prefix + queueOf(m.Priority))
	_, err = w.queue.EnqueueContext(ctx, asynq.NewTask(TypeSendLatest, payload), queue,
		asynq.TaskID(w.send.taskIDs+"latest:"+m.Coalesce), asynq.MaxRetry(sendMaxRetry))
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		payload, _ := json.Marshal(latestTask{Coalesce: m.Coalesce, Version: v})
		_, err = w.queue.EnqueueContext(ctx, asynq.NewTask(TypeSendLatest, payload), queue,
			asynq.TaskID(w.send.taskIDs+"latest:"+m.Coalesce+"@"+strconv.FormatInt(v, 10)),
			asynq.ProcessIn(time.Second), asynq.MaxRetry(sendMaxRetry))
	}
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueue latest %s: %w", m.Coalesce, err)
	}
	return nil
}

// latestLockFor bounds how long one task holds a name's lock: past it (a worker
// died) another may send.
const latestLockFor = maxInlineWait + sendTimeout + 10*time.Second

// unlockLatest deletes a name's lock if it is still the caller's.
var unlockLatest = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// HandleSendLatest sends the latest state of a coalesced name (TypeSendLatest),
// again while a newer one arrived during the send. One task at a time sends a
// name's states, holding its lock: two at once could both send the latest, or
// deliver an older one after a newer one. A task that finds the lock taken
// comes back a second later (the holder sends whatever is newer before it
// lets go).
func (w *Workers) HandleSendLatest(ctx context.Context, t *asynq.Task) error {
	var p latestTask
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.Coalesce == "" {
		return badPayload(t.Type(), err)
	}
	s := w.send
	key := s.latestKey(p.Coalesce)
	if p.Version > 0 {
		// A follow-up: a name whose states change fast (a broadcast's progress,
		// a lot's counter) has one per state, most of them sent by then.
		sent, err := s.rdb.HGet(ctx, key, "sent").Int64()
		if err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("read latest %s: %w", p.Coalesce, err)
		}
		if sent >= p.Version {
			return nil
		}
	}
	lock, token := key+":lock", rand.Text()
	ok, err := s.rdb.SetNX(ctx, lock, token, latestLockFor).Result()
	if err != nil {
		return fmt.Errorf("lock latest %s: %w", p.Coalesce, err)
	}
	if !ok {
		return &errRetryIn{after: time.Second, wait: true, err: fmt.Errorf("latest %s is being sent", p.Coalesce)}
	}
	defer unlockLatest.Run(context.WithoutCancel(ctx), s.rdb, []string{lock}, token)
	for {
		vals, err := s.rdb.HMGet(ctx, key, "m", "v", "sent").Result()
		if err != nil {
			return fmt.Errorf("read latest %s: %w", p.Coalesce, err)
		}
		body, _ := vals[0].(string)
		version, _ := strconv.ParseInt(fmt.Sprint(vals[1]), 10, 64)
		sent, _ := strconv.ParseInt(fmt.Sprint(vals[2]), 10, 64)
		if body == "" || version <= sent {
			return nil // gone, or sent already
		}
		var st sendTask
		if err := json.Unmarshal([]byte(body), &st); err != nil || st.Message.Validate() != nil {
			return badPayload(t.Type(), err)
		}
		if _, err := w.deliver(ctx, st.Message, time.UnixMicro(st.Enqueued)); err != nil {
			return err
		}
		now, err := markLatestSent.Run(ctx, s.rdb, []string{key}, version).Int64()
		if err != nil {
			return fmt.Errorf("mark latest %s sent: %w", p.Coalesce, err)
		}
		if now <= version {
			return nil
		}
	}
}
