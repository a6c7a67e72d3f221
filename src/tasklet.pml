/* SPDX-License-Identifier: MIT */
/*
 * A SPIN (Promela) model of the tasklet state protocol of src/tasklet.c:
 * the SCHED/RUN/WAITERS/PARKED bits of t->state, the disable count, the
 * per-CPU Treiber lists and parked lists, parked_kick, the waitvar sleep
 * and wake, tasklet_schedule/hi_schedule, the TASKLET and HI softirq
 * actions on two bh CPUs, tasklet_disable/_nosync/enable and tasklet_kill.
 * docs/MODEL.md has the correspondence table, the properties and the
 * commands; tests/spin_check.sh runs it in the test command.
 *
 * Granularity: every atomic operation of the C code (fetch_or, fetch_and,
 * exchange, CAS, add/sub_fetch, an atomic load or store) is one Promela
 * step; d_step blocks only ever hold one such operation plus ghost
 * bookkeeping. Comments name the C function and statement a step models.
 * Memory is sequentially consistent here: the model checks the protocol's
 * interleavings, not the C11 orderings (docs/MODEL.md says why the
 * orderings used give the same results for the races modelled).
 *
 * One tasklet T is modelled. Only T can be on a list, so a list is one bit
 * ("head == T"); other tasklets on the same lists only change the order of
 * runs (T5) and make push()'s CAS retry, which the loop below allows but
 * never needs. What multi-tasklet lists need from T's protocol is that T is
 * pushed only while it is on no list and no pass still needs its next link;
 * the ghost `loc` asserts exactly that at every push.
 *
 * Build-time options (spin -DNAME): LIVENESS adds the LTL formula and drops
 * the quiescence monitor (run pan with -a -f); SCHED_T0, SCHED_SIG,
 * SCHED_T1, DISABLE, KILL, RESCHED size the configuration (see init);
 * NOFUNC models a tasklet without a function (enqueue()'s -EINVAL path),
 * which once failed (a kill slept for ever): see docs/MODEL.md.
 */

#define NCPU 2

/* t->state bits (tasklet.c: T_SCHED ... T_PARKED_HI) */
#define SCHED     1
#define RUN       2
#define WAITERS   4
#define PARKED    8
#define PARKED_HI 16

/* list index per vector, tasklet.c list_of(): [0] HI, [1] normal */
#define HI   0
#define NORM 1
/* bit of a list's vector in the model's pending word (softirq.c raise) */
#ifndef RESCHED
#define RESCHED 1
#endif
#define VBIT(l) (1 << (l))
#define IDX(c, l) ((c) * 2 + (l))

/* ---- the C state --------------------------------------------------------- */
byte st;            /* t->state */
short cnt;          /* t->count.counter */
byte flags;         /* t->bh_flags: CPU of the list T was last put on */
bit head[4];        /* bh__cpus[c].tasklets[l] == T, index IDX(c, l) */
bit parked[4];      /* bh__cpus[c].parked[l] == T */
bit kick[NCPU];     /* bh__cpus[c].parked_kick */
byte pending[NCPU]; /* bh__cpus[c].pending: VBIT(HI) | VBIT(NORM) */
byte wseq;          /* T's waitvar bucket sequence (waitvar.c) */

/* ---- ghost state (no C counterpart; for the assertions) ------------------ */
/* where T's link is: the lists, a pass's detached chain, a pass's hand */
#define L_NONE   0
#define L_LIST   1 /* + IDX(c, l): on c's list l */
#define L_CHAIN  5 /* + c: in the chain pass c detached, next not read yet */
#define L_HAND   7 /* + c: pass c holds T, its next link is no longer used */
#define L_PARKED 9 /* + IDX(c, l): on c's parked list l */
byte loc;
byte running;    /* callbacks in progress */
bit owed;        /* a schedule took effect and no run has started since */
bit kill_holds;  /* tasklet_kill holds SCHED (T21) */
bit killed;      /* kill returned, no schedule since */
byte dis_sync;   /* tasklet_disable() returned, enable() not yet called */
byte resched = RESCHED; /* self-reschedules the callback may still do */
byte done;       /* client processes finished */
byte nclients;   /* client processes started */

/* ---- tasklet.c push(): Treiber push with a CAS loop --------------------- */
inline push(c, l, from)
{
	ok = 0;
	do
	:: ok -> ok = 0; h = 0; break
	:: else ->
		/* head = __atomic_load_n(&c->tasklets[list]) */
		h = head[IDX(c, l)];
		/* t->next = head; then the release CAS */
		d_step {
			assert(h == 0); /* T is not on this list already */
			assert(loc == from); /* nor on another, nor in a chain */
			if
			:: head[IDX(c, l)] == h ->
				head[IDX(c, l)] = 1;
				loc = L_LIST + IDX(c, l);
				ok = 1
			:: else -> skip
			fi
		}
	od
}

/* bh__raise_on(c, nr): fetch_or(&c->pending, 1 << nr) */
inline raise(c, l)
{
	pending[c] = pending[c] | VBIT(l)
}

/* bh__waitvar_wake(t) after a clearing RMW returned `old` */
inline wake()
{
	if
	:: old & WAITERS -> d_step { wseq++; old = 0 } /* fetch_add(seq), futex_wake */
	:: else -> old = 0
	fi
}

/* tasklet.c wait_clear(t, bits), task-context (non-deterministic) mode */
inline wait_clear(bits)
{
	do
	:: seen = wseq; /* seq = bh__waitvar_seq(t) */
		d_step { old = st; st = st | WAITERS } /* fetch_or(WAITERS) */
		if
		:: (old & (bits)) == 0 -> d_step { seen = 0; old = 0 }; break /* return */
		:: else ->
			/* bh__waitvar_sleep(t, seq, -1): FUTEX_WAIT returns
			 * once a wake has bumped the sequence */
			(wseq != seen)
		fi
	od
}

/* ---- scheduling ---------------------------------------------------------- */
/* bh_tasklet_schedule (l == NORM) / bh_tasklet_hi_schedule (l == HI),
 * called on bh CPU c */
inline schedule(c, l)
{
	/* if (fetch_or(&t->state, T_SCHED) & T_SCHED) return 0; */
	d_step {
		old = st;
		st = st | SCHED;
		if
		:: kill_holds -> skip /* T21: dropped while kill holds SCHED */
		:: else -> owed = 1; killed = 0
		fi
	}
	if
	:: (old & SCHED) == 0 ->
#ifndef NOFUNC
		/* enqueue(): store bh_flags, push(), bh__raise_on() */
		flags = c;
		push(c, l, L_NONE);
		raise(c, l)
#else
		/* enqueue() of a tasklet with no function (tasklet_setup(t,
		 * NULL)): fetch_and(~(T_SCHED | T_WAITERS)), wake, return
		 * -EINVAL. (Without the wake a kill waiting for SCHED slept
		 * for ever: docs/MODEL.md.) */
		d_step { old = st; st = st & ~(SCHED | WAITERS); owed = 0 };
		wake()
#endif
	:: else -> old = 0
	fi
}

/* ---- the softirq side ---------------------------------------------------- */
/* bh_tasklet_unlock(): fetch_and(~(T_RUN | T_WAITERS)), wake */
inline unlock()
{
	d_step { old = st; st = st & ~(RUN | WAITERS) }
	wake()
}

/* run_callback(): the tasklet's function; may reschedule itself (T8) */
inline callback(c, l)
{
	d_step {
		running++;
		assert(running == 1);   /* T9: never two runs at once */
		assert(st & RUN);       /* the run holds RUN */
		assert(dis_sync == 0);  /* T12/T16: not after disable() */
		assert(!killed);        /* T20: not after kill, unless rescheduled */
	}
	if
	:: resched > 0 -> resched--; schedule(c, l)
	:: true -> skip
	fi;
	running--
}

/* T9 path of bh__tasklet_action: push back, fetch_or(&c->pending) */
inline requeue(c, l)
{
	push(c, l, L_HAND + c);
	raise(c, l)
}

/* tasklet.c unpark(c, list, nr) */
inline unpark(c, lp)
{
	if
	:: parked[IDX(c, lp)] -> /* while (*link) */
		if
		:: cnt != 0 -> skip /* load count: stays parked */
		:: else ->
			/* *link = t->next (owner-only list) */
			parked[IDX(c, lp)] = 0;
			loc = L_HAND + c;
			/* fetch_and(~(T_PARKED | T_PARKED_HI)) */
			d_step { st = st & ~(PARKED | PARKED_HI) }
			push(c, lp, L_HAND + c);
			raise(c, lp) /* if (moved) fetch_or(&c->pending) */
		fi
	:: else -> skip
	fi
}

/* bh__tasklet_action(c, nr) for list l */
inline action(c, l)
{
	/* if (load(parked_kick) && exchange(parked_kick, 0)) unpark both */
	if
	:: kick[c] ->
		d_step { k = kick[c]; kick[c] = 0 }
		if
		:: k -> k = 0; unpark(c, HI); unpark(c, NORM)
		:: else -> skip
		fi
	:: else -> skip
	fi;
	/* t = reverse(exchange(&c->tasklets[list], NULL)) */
	d_step {
		got = head[IDX(c, l)];
		head[IDX(c, l)] = 0;
		if
		:: got -> assert(loc == L_LIST + IDX(c, l)); loc = L_CHAIN + c
		:: else -> skip
		fi
	}
	if
	:: got -> /* while (t) */
		/* next = t->next: the pass no longer needs T's link */
		loc = L_HAND + c;
		/* bh_tasklet_trylock(): fetch_or(T_RUN) */
		d_step { old = st; st = st | RUN }
		if
		:: (old & RUN) == 0 ->
			if
			:: cnt == 0 -> /* !load(count) */
				/* T8: fetch_and(~(T_SCHED | T_WAITERS)) */
				d_step {
					old = st;
					st = st & ~(SCHED | WAITERS);
					assert(old & SCHED); /* no T26 skip */
					loc = L_NONE;
					owed = 0
				}
				wake();
				callback(c, l); /* run_callback(t) */
				unlock()
			:: else ->
				/* park(): fetch_or(PARKED [| PARKED_HI]) */
				d_step {
					assert(st & SCHED); /* T13/T17: stays scheduled */
					st = st | PARKED |
					     (l == HI -> PARKED_HI : 0)
				}
				if
				:: cnt == 0 -> /* re-read count: enabled */
					d_step { st = st & ~(PARKED | PARKED_HI) }
					unlock();
					requeue(c, l)
				:: else ->
					/* t->next = parked; parked = t */
					d_step {
						assert(flags == c);
						parked[IDX(c, l)] = 1;
						loc = L_PARKED + IDX(c, l)
					}
					unlock()
				fi
			fi
		:: else -> requeue(c, l) /* T9: running elsewhere */
		fi
	:: else -> skip
	fi;
	got = 0
}

/* One bh CPU's softirq runner: bh__do_softirq() for the HI and TASKLET
 * vectors. The owner flag, restart limit and ksoftirqd wake-ups are
 * abstracted: a raised vector is eventually run by this one process. */
proctype cpu(byte c)
{
	byte old, h, k, snap;
	bit ok, got;
end_idle:
	do
	:: atomic { pending[c] != 0 -> snap = pending[c]; pending[c] = 0 }
		if /* ctz order: HI (vector 0) before TASKLET (vector 6) */
		:: snap & VBIT(HI) -> action(c, HI)
		:: else -> skip
		fi;
		if
		:: snap & VBIT(NORM) -> snap = 0; action(c, NORM)
		:: else -> snap = 0
		fi
	od
}

/* ---- disable / enable ---------------------------------------------------- */
/* tasklet.c count_changed(t, count) */
inline count_changed(count)
{
	if
	:: count != 0 -> skip
	:: else ->
		if
		:: (st & PARKED) == 0 -> skip /* load(state) & T_PARKED */
		:: else ->
			cpu_ = flags; /* load(bh_flags) */
			snap = st;    /* st = load(state) */
			d_step { assert(cpu_ < NCPU); kick[cpu_] = 1 }
			if /* bh__raise_on(c, HI or TASKLET) */
			:: snap & PARKED_HI -> raise(cpu_, HI)
			:: else -> raise(cpu_, NORM)
			fi;
			d_step { snap = 0; cpu_ = 0 }
		fi
	fi
}

proctype disabler()
{
	byte old, seen, snap, cpu_;
	short count;
	bit synced;
	if
	:: /* bh_tasklet_disable(): disable_depth_inc, wait_clear(T_RUN) */
		d_step { cnt++; count = cnt } /* add_fetch(count, 1) */
		count_changed(count);
		wait_clear(RUN);
		atomic {
			assert(running == 0); /* T16 */
			dis_sync++;
			synced = 1
		}
	:: /* bh_tasklet_disable_nosync() */
		d_step { cnt++; count = cnt }
		count_changed(count)
	fi;
	/* bh_tasklet_enable(): sub_fetch(count, 1), count_changed */
	d_step {
		cnt--;
		count = cnt;
		if
		:: synced -> dis_sync--
		:: else -> skip
		fi
	}
	assert(count >= 0); /* no underflow in this configuration */
	count_changed(count);
	done++
}

/* ---- kill ---------------------------------------------------------------- */
/* bh_tasklet_kill() from task context on bh CPU 1, then a schedule (T21:
 * "the tasklet may be scheduled again") */
proctype killer()
{
	byte old, h, seen;
	bit ok;
	/* while (fetch_or(&t->state, T_SCHED) & T_SCHED) wait_clear(SCHED) */
	do
	:: atomic {
			old = st;
			st = st | SCHED;
			if
			:: (old & SCHED) == 0 ->
				kill_holds = 1;
				assert(!owed) /* kill drops no earlier schedule */
			:: else -> skip
			fi
		}
		if
		:: old & SCHED -> wait_clear(SCHED)
		:: else -> break
		fi
	od;
	wait_clear(RUN);
	/* fetch_and(~(T_SCHED | T_WAITERS)), wake: kill returns */
	atomic {
		old = st;
		st = st & ~(SCHED | WAITERS);
		assert(old & SCHED);     /* it held SCHED all along */
		assert((old & RUN) == 0); /* T20: not running */
		assert(running == 0);
		assert(loc == L_NONE);   /* on no list */
		kill_holds = 0;
		killed = 1
	}
	wake();
	schedule(1, NORM);
	done++
}

/* ---- schedulers ---------------------------------------------------------- */
/* A thread on bh CPU c scheduling n times, each on either vector. The
 * "signal handler" instance on CPU 0 interleaves anywhere, also inside the
 * other CPU-0 scheduler's push and inside CPU 0's softirq pass. */
proctype scheduler(byte c; byte n)
{
	byte old, h;
	bit ok;
	do
	:: n > 0 ->
		n--;
		if
		:: schedule(c, NORM)
		:: schedule(c, HI)
		fi
	:: else -> break
	od;
	done++
}

#ifndef LIVENESS
/* When nothing can move (timeout: every process blocked or finished), the
 * system has quiesced: every client returned, no schedule is owed a run
 * (T3), T is idle and on no list. */
active proctype monitor()
{
	timeout ->
	assert(done == nclients);
	assert(!owed);
	assert(running == 0);
	assert((st & ~WAITERS) == 0);
	assert(cnt == 0);
	assert(loc == L_NONE);
	assert(head[0] + head[1] + head[2] + head[3] == 0);
	assert(parked[0] + parked[1] + parked[2] + parked[3] == 0);
	assert(kick[0] + kick[1] == 0)
}
#else
/* Under weak fairness every run reaches the quiet state and stays there:
 * every call returns (kill and disable included) and every schedule is
 * followed by a run. */
#define quiet (done == nclients && !owed && running == 0 && loc == L_NONE)
ltl live { <>[] quiet }
#endif

/* The configuration: how many schedule calls each client makes, and which
 * clients run. tests/spin_check.sh checks several small configurations
 * rather than one large one (each exhaustively). */
#ifndef SCHED_T0
#define SCHED_T0 1 /* a thread on CPU 0 */
#endif
#ifndef SCHED_SIG
#define SCHED_SIG 1 /* a signal handler on CPU 0 */
#endif
#ifndef SCHED_T1
#define SCHED_T1 1 /* a thread on CPU 1 */
#endif
#ifndef DISABLE
#define DISABLE 1 /* a disable()/disable_nosync() + enable() client */
#endif
#ifndef KILL
#define KILL 1 /* a tasklet_kill() client */
#endif

init
{
	atomic {
		run cpu(0);
		run cpu(1);
		if
		:: SCHED_T0 > 0 -> run scheduler(0, SCHED_T0); nclients++
		:: else -> skip
		fi;
		if
		:: SCHED_SIG > 0 -> run scheduler(0, SCHED_SIG); nclients++
		:: else -> skip
		fi;
		if
		:: SCHED_T1 > 0 -> run scheduler(1, SCHED_T1); nclients++
		:: else -> skip
		fi;
		if
		:: DISABLE -> run disabler(); nclients++
		:: else -> skip
		fi;
		if
		:: KILL -> run killer(); nclients++
		:: else -> skip
		fi
	}
}
