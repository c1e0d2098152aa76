/* Promela model of weft's idle-worker protocol (searching/parked counts, park/unpark): checks for lost wake-ups. */

/*
 * What is modelled (src/idle.hpp, src/idle.cpp, the worker loop in src/worker.cpp):
 *   - NW workers and one spawner thread outside the pool that pushes NTASKS tasks into the
 *     global injector; a worker running a task may spawn up to NCHILD children (in total) into
 *     its own queue;
 *   - the shared counts `searching` and `parked`, the set of parked workers and the mutex
 *     that protects it, and one futex-like token per worker (unpark sets it, park returns at
 *     once when it is set and consumes it).
 * Queues are counts: a worker takes one task from its own queue, the injector or another
 * worker's queue in one atomic step (the queue itself is checked in work_stealing_queue.pml).
 * Running a task is instantaneous apart from the optional spawn, except that up to NBLOCK tasks
 * (fewer than NW) may block their worker's thread for good after their spawn, as a task blocked
 * in a system call or a latch does: the child it spawned into its own queue must then be run by
 * another worker.
 *
 * Properties:
 *   - no lost wake-up: when nothing in the system can move any more (every worker asleep,
 *     the spawner finished), no task is left in the injector or any worker queue;
 *   - no deadlock: that final state is a valid end state (every worker asleep in park);
 *   - bookkeeping: searching and parked never go below zero, parked equals the size of the
 *     parked set, and a worker that wakes from park has been taken out of the set by its
 *     notifier (the protocol relies on this: the notifier counted it as searching).
 *
 * Interleavings are sequentially consistent, so the model checks the algorithm under SC, not
 * the C++ memory orders (the protocol asks for SC on the push / state-load and the
 * searching-decrement / recheck pairs, which is what makes the SC check meaningful).
 *
 * Seeded bugs (each must make spin report an error):
 *   BUG_NO_RECHECK    the last searcher parks without rechecking the queues
 *   BUG_LOAD_BEFORE_PUSH the spawner loads (searching, parked) before pushing its task, so
 *                     neither it nor the last searcher's recheck need see the other
 *   BUG_ONLY_SEARCHER_RECHECKS only a worker that was searching rechecks when it parks as the
 *                     last one; a worker that was not admitted as a searcher parks without a
 *                     recheck even when no searcher is left to cover it. A task pushed between
 *                     the last searcher's exit and that park is stranded when its worker then
 *                     blocks (needs NBLOCK >= 1; the chaos build once hung on exactly this)
 *   BUG_SPREAD_LOOKS_FIRST the last searcher to find work looks for more work (to decide
 *                     whether to wake another worker) before it stops counting as a searcher: a
 *                     task pushed in between sees a searcher and wakes nobody, and it is stranded
 *                     when the finder's task blocks (needs NBLOCK >= 1)
 *   BUG_STALE_TOKEN   the protocol exactly as first described: a last searcher that finds work
 *                     on its recheck but has already been taken out of the set by a notifier
 *                     goes searching without consuming the token the notifier sets, so a later
 *                     park returns at once while the worker is still in the set
 *
 * WAKE_CHECKS_SET: the other possible fix for BUG_STALE_TOKEN (combine the two macros): after
 * park returns, the worker checks under the mutex that it has left the set, else parks again.
 */

#ifndef NW
#define NW 2            /* workers (2 or 3) */
#endif
#ifndef NTASKS
#define NTASKS 1        /* tasks the spawner pushes into the injector */
#endif
#ifndef NCHILD
#define NCHILD 1        /* tasks that running tasks may spawn into their worker's own queue */
#endif
#ifndef NBLOCK
#define NBLOCK 0        /* tasks that block their worker for good after their spawn (< NW) */
#endif

#define NOBODY 255

/* Bookkeeping invariants.  NO_BOOKKEEPING_ASSERTS switches them off, to see what a broken
 * variant does to the end-to-end property (no task left while every worker sleeps). */
#ifdef NO_BOOKKEEPING_ASSERTS
#define bk_assert(c) skip
#else
#define bk_assert(c) assert(c)
#endif

byte searching = 0;     /* workers looking for work */
byte parked = 0;        /* workers in the parked set */
bool inset[NW];         /* the parked set, protected by mtx */
byte nset = 0;          /* its size, to check parked against it */
bool token[NW];         /* per-worker unpark token */
byte mtx = 0;           /* 0: free, else holder id + 1 */
byte q[NW];             /* tasks in each worker's queue */
byte inj = 0;           /* tasks in the global injector */
byte children = NCHILD; /* spawns still allowed */
byte blocks = NBLOCK;   /* blocking tasks still allowed */

inline lock(id)   { atomic { mtx == 0 -> mtx = id + 1 } }
inline unlock()   { mtx = 0 }

/* Take one task from worker who's queue, or from the injector, if there is one. */
inline grab(who, found)
{
    atomic {
        if
        :: q[who] > 0 -> q[who]--; found = 1
        :: else -> skip
        fi
    }
}

inline grab_injector(found)
{
    atomic {
        if
        :: inj > 0 -> inj--; found = 1
        :: else -> skip
        fi
    }
}

/* One search pass: own queue, the injector, then every other worker's queue. */
inline find_work(found)
{
    found = 0;
    grab(me, found);
    if
    :: !found -> grab_injector(found)
    :: else -> skip
    fi;
    i = 0;
    do
    :: !found && i < NW && i != me -> grab(i, found); i++
    :: !found && i < NW && i == me -> i++
    :: else -> i = 0; break     /* reset locals once dead: fewer distinct states */
    od
}

/* Is any task visible in the injector or a worker's queue?  (Takes nothing.) */
inline more_work(found)
{
    found = (inj > 0);
    i = 0;
    do
    :: !found && i < NW -> found = (q[i] > 0); i++
    :: else -> i = 0; break
    od
}

/* Wake one parked worker, counting it as searching on its behalf.  The set may be empty by
 * the time the lock is held (a last searcher may have un-parked itself): then nothing. */
inline notify_one(id)
{
    lock(id);
    if
    :: inset[0] -> w = 0
    :: inset[1] -> w = 1
#if NW > 2
    :: inset[2] -> w = 2
#endif
    :: else -> w = NOBODY
    fi;
    if
    :: w != NOBODY ->
       d_step {
           inset[w] = 0; nset--;
           bk_assert(parked > 0); parked--;
           searching++; bk_assert(searching <= NW)
       }
    :: else -> skip
    fi;
    unlock();
    if
    :: w != NOBODY -> d_step { token[w] = 1; w = 0 }   /* unpark, after the unlock */
    :: else -> w = 0
    fi
}

proctype Spawner()
{
    byte k = 0, w;

    do
    :: k < NTASKS ->
#ifndef BUG_LOAD_BEFORE_PUSH
       inj++;                   /* SC push into the injector */
       if                       /* SC load of (searching, parked) as one word, after the push */
       :: (searching == 0 && parked > 0) -> notify_one(NW)
       :: else -> skip
       fi;
#else
       if                       /* the state load hoisted above the push: no Dekker pairing */
       :: (searching == 0 && parked > 0) -> inj++; notify_one(NW)
       :: else -> inj++
       fi;
#endif
       k++
    :: else -> break
    od
}

proctype Worker(byte me)
{
    bool srch = 0;      /* counted in `searching` */
    bool last, found;
#ifdef BUG_ONLY_SEARCHER_RECHECKS
    bool srch_before;
#endif
    byte i, w;

top:
    find_work(found);
    if
    :: found -> found = 0; goto running
    :: else -> skip
    fi;
    /* transition_to_searching: at most half the workers search at once */
    d_step {
        if
        :: 2 * searching < NW -> searching++; srch = 1
        :: else -> skip
        fi
    };
    if
    :: !srch -> goto park
    :: else -> skip
    fi;

search:
    find_work(found);
    if
    :: found ->
       /* transition out of searching; the last searcher spreads parallelism when it sees more work */
#ifdef BUG_SPREAD_LOOKS_FIRST
       more_work(found);   /* the look for more work hoisted above the decrement */
       skip;               /* (the loop's exit may not jump straight into the d_step) */
#else
       found = 0;
#endif
       d_step { bk_assert(searching > 0); searching--; last = (searching == 0); srch = 0 };
       if
       :: last ->
          last = 0;
#ifndef BUG_SPREAD_LOOKS_FIRST
          /* Wake one more only when more work is visible: this look pairs with a spawner's
           * push and state load (Dekker), as the parking recheck does. */
          more_work(found);
#endif
          if
          :: found && parked > 0 -> notify_one(me)
          :: else -> skip
          fi
       :: else -> skip
       fi;
       found = 0;
       goto running
    :: else -> skip
    fi;

park:
    /* transition_to_parked */
    lock(me);
#ifdef BUG_ONLY_SEARCHER_RECHECKS
    srch_before = srch;
#endif
    d_step {
        if
        :: srch -> bk_assert(searching > 0); searching--; srch = 0
        :: else -> skip
        fi;
#ifndef BUG_ONLY_SEARCHER_RECHECKS
        last = (searching == 0);    /* nobody left searching to cover a late push: recheck */
#else
        last = (searching == 0 && srch_before);
#endif
        parked++; inset[me] = 1; nset++;
        bk_assert(parked == nset)
    };
    unlock();
#ifndef BUG_NO_RECHECK
    if
    :: last ->
       last = 0;
       /* A worker that leaves nobody searching rechecks every queue: a task pushed after the
        * last searcher stopped but before the pusher could see this worker parked would
        * otherwise be stranded.  Its update of the counts and these loads pair with the
        * pusher's push and state load (Dekker). */
       found = (inj > 0);
       i = 0;
       do
       :: !found && i < NW -> found = (q[i] > 0); i++
       :: else -> i = 0; break
       od;
       if
       :: found ->
          found = 0;
          lock(me);
          if
          :: inset[me] ->
             d_step { inset[me] = 0; nset--; parked--; searching++ };
             unlock()
          :: else ->
             /* A notifier took us out of the set and counted us as searching; its
              * unpark has set, or is about to set, our token. */
             unlock();
#ifndef BUG_STALE_TOKEN
             /* Consume that token now (this park returns at once, or as soon as the
              * notifier's unpark lands), so no later park returns spuriously. */
             atomic { token[me] -> token[me] = 0 }
#else
             skip
#endif
          fi;
          srch = 1;
          goto search
       :: else -> skip
       fi
    :: else -> skip
    fi;
#endif

end_sleep:
    atomic { token[me] -> token[me] = 0 };
#ifdef WAKE_CHECKS_SET
    /* Alternative fix: treat a wake-up as a hint.  Still in the set means nobody notified us
     * (a stale token or a spurious futex return): go back to sleep. */
    lock(me);
    if
    :: inset[me] -> unlock(); goto end_sleep
    :: else -> unlock()
    fi;
#endif
    /* Woken: the notifier took us out of the set and counted us as searching. */
    bk_assert(!inset[me]);
    srch = 1;
    goto search;

progress_run:   /* a task runs: a cycle that never passes here is a livelock */
running:
    /* Running the task: it may spawn a child into our own queue, then the pusher's check. */
    if
    :: children > 0 ->
       d_step { children--; q[me]++ };
       if
       :: (searching == 0 && parked > 0) -> notify_one(me)
       :: else -> skip
       fi
    :: true -> skip
    fi;
    if
    :: atomic { blocks > 0 -> blocks-- }; goto end_blocked
    :: true -> skip
    fi;
    goto top;
end_blocked:    /* the task blocks its thread for good: a valid end state */
    false
}

/* Fires only when nothing else can move: every worker asleep (or, on a deadlock, stuck on
 * the mutex, which spin then also reports as an invalid end state). */
proctype Monitor()
{
    byte k = 0;
    timeout ->
    assert(inj == 0);
    do
    :: k < NW -> assert(q[k] == 0); k++
    :: else -> break
    od
}

init
{
    byte k = 0;
    atomic {
        do
        :: k < NW -> run Worker(k); k++
        :: else -> break
        od;
        run Spawner();
        run Monitor()
    }
}
