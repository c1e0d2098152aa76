/* Promela model of "Channel hand-off" and "Select claim" (channel.cpp, select.cpp, channel_op.cpp).
 *
 * Two rendezvous channels. A select waits to receive from either, with a deadline. One plain
 * sender per channel sends with a deadline; with -DCLOSE a closer closes channel 1 meanwhile.
 * Each channel has its own lock; a select holds both (taken in index order, like address order).
 * Op slots: 0 and 1 are the select's receive ops on channels 0 and 1; 2 and 3 the senders' ops.
 * Each FIFO holds at most one op here, so a queue is one "linked" bit; FIFO order among several
 * waiters is left to the tests. Deadlines and spurious wake-ups are a nondeterministic choice.
 * Checked at the end: the select performed exactly one case or timed out; a sender reports
 * success iff the select received its value; nothing is delivered twice; no op stays linked.
 * Seeded bugs: BUG_NO_CLAIM (a completer takes a select op without winning its claim word),
 * BUG_TIMEOUT_UNLOCKED (the select decides its timeout without taking its channels' locks again,
 * storing "timed out" over a claim a completer already won). */

bit lock[2];
bit linked[4];
byte status[4];      /* of a completed op: 1 delivered, 2 closed */
bit woken[3];        /* 0: the select's waiter; 1, 2: sender 0's and sender 1's */
byte claim = 0;      /* 0 open, c + 1: case c won, 3 timed out */
bit closed[2];
byte got[2];         /* values the select received from channel c */
bit sent_ok[2];      /* sender c reported success */
byte result = 255;   /* the select's return: case index, or 3 on timeout */
byte result_status = 0;

inline acquire(c) { atomic { lock[c] == 0 -> lock[c] = 1 } }
inline release(c) { lock[c] = 0 }

/* A completer on channel c, holding lock c, pops the select's op c: true (won) in `won`. */
inline claim_select_op(c, won) {
    linked[c] = 0;
#ifdef BUG_NO_CLAIM
    claim = c + 1; won = 1
#else
    atomic {
        if
        :: claim == 0 -> claim = c + 1; won = 1
        :: else -> won = 0   /* stale: the select is decided elsewhere; drop the op */
        fi
    }
#endif
}

proctype sender(byte c) {
    bit won = 0;
    acquire(c);
    if
    :: closed[c] -> release(c); goto out
    :: else -> skip
    fi;
    if
    :: linked[c] ->
        claim_select_op(c, won);
        if
        :: won -> got[c]++; status[c] = 1; woken[0] = 1; release(c); sent_ok[c] = 1; goto out
        :: else -> skip
        fi
    :: else -> skip
    fi;
    linked[2 + c] = 1;
    release(c);
    if
    :: woken[1 + c] -> skip
    :: true -> skip   /* the deadline passed, or a spurious return */
    fi;
    acquire(c);
    if
    :: !linked[2 + c] -> if :: status[2 + c] == 1 -> sent_ok[c] = 1 :: else -> skip fi
    :: else -> linked[2 + c] = 0   /* timed out: leaves on its own */
    fi;
    release(c);
out:
    skip
}

proctype closer() {
    bit won = 0;
    acquire(1);
    closed[1] = 1;
    if
    :: linked[1] -> claim_select_op(1, won); if :: won -> status[1] = 2; woken[0] = 1 :: else -> skip fi
    :: else -> skip
    fi;
    if
    :: linked[3] -> linked[3] = 0; status[3] = 2; woken[2] = 1
    :: else -> skip
    fi;
    release(1)
}

/* Step 1 of "Select claim" for case c, both locks held: done (1) when the case could proceed. */
inline poll_case(c, done) {
    if
    :: linked[2 + c] -> linked[2 + c] = 0; got[c]++; status[2 + c] = 1; woken[1 + c] = 1;
                         result = c; result_status = 1; done = 1
    :: !linked[2 + c] && closed[c] -> result = c; result_status = 2; done = 1
    :: else -> skip
    fi
}

proctype selector() {
    bit done = 0;
    acquire(0); acquire(1);
    if   /* a random poll order */
    :: true -> poll_case(0, done); if :: !done -> poll_case(1, done) :: else -> skip fi
    :: true -> poll_case(1, done); if :: !done -> poll_case(0, done) :: else -> skip fi
    fi;
    if
    :: done -> release(1); release(0); goto out
    :: else -> skip
    fi;
    linked[0] = 1; linked[1] = 1;
    release(1); release(0);
    if
    :: woken[0] -> skip
    :: true -> skip   /* the deadline passed */
    fi;
#ifdef BUG_TIMEOUT_UNLOCKED
    if
    :: claim == 0 -> claim = 3
    :: else -> skip
    fi;
    acquire(0); acquire(1);
#else
    acquire(0); acquire(1);
    if
    :: claim == 0 -> claim = 3
    :: else -> skip
    fi;
#endif
    linked[0] = 0; linked[1] = 0;
    if
    :: claim == 3 -> result = 3
    :: else -> result = claim - 1; result_status = status[result]
    fi;
    release(1); release(0);
out:
    skip
}

init {
    atomic {
        run selector();
        run sender(0);
        run sender(1);
#ifdef CLOSE
        run closer();
#endif
    }
    _nr_pr == 1;
    assert(result != 255);
    assert(got[0] <= 1 && got[1] <= 1);
    assert(got[0] + got[1] <= 1);                          /* one case at most */
    assert(sent_ok[0] == got[0] && sent_ok[1] == got[1]);  /* success iff received */
    if
    :: result == 3 -> assert(got[0] + got[1] == 0)         /* a timeout performed nothing */
    :: result < 2 && result_status == 1 -> assert(got[result] == 1)
    :: result < 2 && result_status == 2 -> assert(closed[result] && got[result] == 0)
    :: else -> assert(false)
    fi;
    assert(!linked[0] && !linked[1] && !linked[2] && !linked[3])
}
