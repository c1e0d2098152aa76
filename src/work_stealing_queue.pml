/* Promela model of weft's per-worker bounded work-stealing queue: checks that every task is taken exactly once. */

/*
 * What is modelled (src/work_stealing_queue.hpp):
 *   - one owner that pushes NT distinct tasks (0 .. NT-1), pops LIFO from the tail, takes its
 *     oldest task ("fair" pop), takes any task it pushed out of the ring by its position hint
 *     (remove, "Taking an awaited entry": the newest entry fills the gap) and, when the ring is
 *     full, moves half of it to the injector;
 *   - NTHIEVES thieves running steal_half against this one queue.
 * A task "is taken" when the owner pops it, a thief copies it into its own queue, or the owner
 * moves it to the injector.  taken[task] counts that; it must never reach 2, and once every
 * process has quiesced and the owner has drained the ring, every task must be at exactly 1.
 *
 * Positions (tail, head.steal, head.real) are plain ints that never wrap (the C++ counters are
 * 32-bit and wrap; with the signed-difference arithmetic the protocol prescribes that is
 * equivalent as long as fewer than 2^31 positions are in flight).  The ring index does wrap:
 * NT is larger than C, so positions run past C and slots are reused.
 *
 * Every statement of a Promela process is one atomic step and the interleavings are
 * sequentially consistent, so this checks the algorithm under SC, not the C++ memory orders.
 * Each access to shared state (tail, head, a ring slot) is its own step; purely local
 * arithmetic that follows a shared access is folded into the same d_step, which hides no
 * interleaving (nobody else can observe locals).  Accesses by the owner to data that only the
 * owner writes (its own tail, the ring slots it reads before a CAS) are folded likewise.
 *
 * Seeded bugs (each must make spin report an error):
 *   BUG_NO_CLIP         the thief does not clip its claim to the tail it re-reads after claiming
 *   BUG_OWNER_NO_CHECK  the owner's pop does not re-load head after its tail store
 *   BUG_POP_NO_WAIT     the owner's pop reports "empty" while a steal is in flight (both sides
 *                       can back off and leave the task behind)
 *   BUG_PUSH_USES_REAL  push checks room against head.real instead of head.steal, so it may
 *                       overwrite a slot a thief is still copying
 *   BUG_REMOVE_NO_CHECK remove does not re-load head after lowering the tail to the entry
 *   BUG_UNSIGNED_DIFF   the thief takes tail - real and the clip as unsigned differences: tail
 *                       can be below real (an owner pop in progress, or a stale tail), and the
 *                       wrapped difference makes the thief claim and copy a huge range
 */

#ifndef C
#define C 2             /* ring capacity, a power of two */
#endif
#ifndef NT
#define NT 5            /* tasks the owner pushes */
#endif
#ifndef NTHIEVES
#define NTHIEVES 2
#endif
#ifndef NREMOVES
#define NREMOVES 2      /* remove attempts the owner makes (each of any task pushed so far) */
#endif

#define NONE 255        /* value of a slot never written: reading it would be a bug */

byte  buf[C];
short tail = 0;         /* written only by the owner */
short hs = 0;           /* head.steal: start of the range a thief has claimed */
short hr = 0;           /* head.real: first position not claimed; hs == hr when no steal runs */
byte  taken[NT];        /* how many times each task was taken */
short pos[NT];          /* the position hint push records in each task (task_cell::next) */
byte  injected = 0;     /* tasks moved to the global injector */
byte  finished = 0;     /* thieves that have stopped */
bool  reported_empty = 0;  /* ghost: the owner's last pop said "empty" and it has not pushed since */

/* Record that task x left the ring; x must be a real task and taken for the first time. */
inline take(x)
{
    assert(x < NT);
    assert(taken[x] == 0);
    taken[x]++
}

/* Owner: push one task; when the ring is full, overflow to the injector. */
inline push(task)
{
    do
    :: d_step { t = tail; s = hs; r = hr }
       if
#ifdef BUG_PUSH_USES_REAL
       :: (t - r < C) ->
#else
       :: (t - s < C) ->       /* slots in [s, t) may still be read by a thief: stay clear */
#endif
          d_step { buf[t % C] = task; pos[task] = t };   /* the hint: owner-only, like the slot */
          tail = t + 1;        /* publishes the slot to thieves */
          break
       :: else ->
          if
          :: s != r ->         /* a steal is in progress: head is the thief's, overflow just this task */
             d_step { take(task); injected++ };
             break
          :: else ->
             /* Claim the older half with a CAS on head.  The slots read are the owner's own
              * (nobody else writes the ring), so reading them inside the CAS step is the same
              * as reading them just before it. */
             atomic {
                 if
                 :: (hs == r && hr == r) ->
                    hs = r + C/2; hr = r + C/2;
                    i = 0;
                    do
                    :: i < C/2 -> take(buf[(r + i) % C]); injected++; i++
                    :: else -> break
                    od;
                    take(task); injected++;
                    ok = 1
                 :: else -> ok = 0    /* a thief or the owner moved head: start again */
                 fi
             };
             if
             :: ok -> break
             :: else -> skip
             fi
          fi
       fi
    od
}

/* Owner: LIFO pop from the tail. It may report "empty" only when the ring is empty: a worker
 * trusts that answer before it sleeps. The ghost flag reported_empty records the answer; a thief
 * that later publishes a head short of the tail without an owner operation in between proves the
 * answer wrong (see Thief). BUG_POP_NO_WAIT is the first version of the code, which reported empty
 * while a steal was still in flight: owner and thief could both back off. */
inline pop()
{
    do
    :: d_step { t = tail; s = hs; r = hr; reported_empty = 0 }
       if
#ifdef BUG_POP_NO_WAIT
       :: t == r -> reported_empty = 1; break    /* empty */
#else
       :: t == r && s == r -> reported_empty = 1; break    /* empty */
       :: t == r && s != r -> (hs == hr)         /* a claim may still give positions back: wait */
#endif
       :: else ->
          tail = t - 1;           /* SC store: a thief that claims after this sees the smaller tail */
#ifndef BUG_OWNER_NO_CHECK
          d_step { s = hs; r = hr }   /* SC load: sees any claim made before the store */
#endif
          if
          :: (t - 1 - r >= 0) ->  /* at or beyond real: no thief can hold this slot */
             d_step { take(buf[(t - 1) % C]) };
             break
          :: else ->
             tail = t;            /* a thief may own the slot: give it back */
#ifdef BUG_POP_NO_WAIT
             reported_empty = 1;
             break
#else
             if
             :: s == r -> reported_empty = 1; break   /* no steal in flight: really empty */
             :: else -> (hs == hr)                    /* wait for the steal to end, then retry */
             fi
#endif
          fi
       fi
    od
}

/* Owner: take the oldest task (fairness), only when no steal is in progress. */
inline pop_oldest()
{
    d_step { t = tail; s = hs; r = hr }
    if
    :: (s != r || t == r) -> skip
    :: else ->
       atomic {
           if
           :: (hs == r && hr == r) -> hs = r + 1; hr = r + 1; take(buf[r % C])
           :: else -> skip
           fi
       }
    fi
}

/* Owner: take task x out of the ring wherever it sits, by its position hint, if it is still
 * there and no thief claimed it; the newest entry moves into its slot.  x may have been popped,
 * stolen or moved to the injector already: then the hint is stale and the check must refuse it. */
inline remove(x)
{
    d_step { t = tail; r = hr; p = pos[x]; ok = (p - r >= 0 && t - p > 0 && buf[p % C] == x) };
    if
    :: ok ->
       tail = p;               /* SC store: a thief that claims after this clips to p */
#ifndef BUG_REMOVE_NO_CHECK
       d_step { r = hr };      /* SC load: sees any claim made before the store */
#endif
       if
       :: (p - r >= 0) ->
          d_step {
              take(x);
              if
              :: p != t - 1 -> buf[p % C] = buf[(t - 1) % C]; pos[buf[p % C]] = p
              :: else -> skip
              fi
          };
          tail = t - 1         /* publishes the moved slot */
       :: else -> tail = t     /* a thief claimed it: give the positions back */
       fi
    :: else -> skip
    fi
}

proctype Owner()
{
    short t, s, r, p;
    byte i, ok, x, next = 0;
    byte removes = NREMOVES;

    do
    :: next < NT -> reported_empty = 0; push(next); next++
    :: pop()
    :: pop_oldest()
    :: next > 0 && removes > 0 ->
       removes--;
       x = 0;                  /* any task pushed so far */
       do
       :: x + 1 < next -> x++
       :: break
       od;
       remove(x);
       d_step { x = 0; p = 0; ok = 0 }   /* dead locals reset: fewer distinct states */
    :: next == NT -> break
    od;

    /* Quiesce: wait until no thief runs, then drain what is left.  With no thief, pop only
     * reports empty when tail == real, so the ring is really empty afterwards. */
    finished == NTHIEVES;
    do
    :: tail != hr -> pop()
    :: else -> break
    od;
    assert(hs == hr && tail == hr);
    i = 0;
    do
    :: i < NT -> assert(taken[i] == 1); i++
    :: else -> break
    od
}

proctype Thief()
{
    short t, s, r, n, cnt;
    byte i, ok;

    do
    :: d_step { s = hs; r = hr }
       if
       :: s != r -> skip       /* another steal is in progress: lost */
       :: else ->
          d_step {
              t = tail;
              n = t - r;        /* signed: tail may sit below real during an owner pop */
#ifdef BUG_UNSIGNED_DIFF
              n = n & 255;      /* as if the difference were taken unsigned (8-bit here) */
#endif
              if
              :: n > 0 -> n = n - n / 2   /* the larger half */
              :: else -> n = 0
              fi
          }
          if
          :: n == 0 -> skip    /* empty */
          :: else ->
             atomic {
                 if
                 :: (hs == r && hr == r) -> hr = r + n; ok = 1   /* claim [r, r+n) */
                 :: else -> ok = 0                               /* lost */
                 fi
             };
             if
             :: ok ->
                d_step {
                    t = tail;  /* re-read after the claim: the owner may have popped into it */
#ifdef BUG_NO_CLIP
                    cnt = n
#else
                    cnt = t - r;
#ifdef BUG_UNSIGNED_DIFF
                    cnt = cnt & 255;
#endif
                    if
                    :: cnt < 0 -> cnt = 0
                    :: cnt > n -> cnt = n
                    :: else -> skip
                    fi
#endif
                };
                i = 0;
                do
                :: i < cnt -> d_step { take(buf[(r + i) % C]); i++ }
                :: else -> break
                od;
                atomic {
                    hs = r + cnt; hr = r + cnt;   /* only the claimant writes head now */
                    /* The owner said "empty" and has not pushed since: nothing may be left. */
                    assert(!(reported_empty && hr != tail))
                }
             :: else -> skip
             fi
          fi
       fi
    :: break
    od;
    finished++
}

init
{
    byte k;
    d_step {
        k = 0;
        do
        :: k < C -> buf[k] = NONE; k++
        :: else -> break
        od
    };
    atomic {
        run Owner();
        k = 0;
        do
        :: k < NTHIEVES -> run Thief(); k++
        :: else -> break
        od
    }
}
