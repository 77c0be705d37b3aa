#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
#
# lint-core.pl -- the contracts of core/ that a compiler does not check
# (STYLE Rules 3, 6 and 8), run by `make lint`.  Perl, because it is part
# of every Debian system.
#
#   1. Every ordering operation (ck_pr_fence_*, arch_fence_full,
#      ck_pr_cas_*, ck_pr_fas_*)
#      carries an ordering label -- [A<n>] acquire, [R<n>] release, [F<n>]
#      a fence handshake -- on its line or within the two lines above.  A
#      CAS or swap used only for its atomicity may say "Relaxed" instead; a
#      fence may not (a fence exists only to order something).  The
#      brackets keep MACH.md's item ids (A1-A9, R1-R5, ...) from passing
#      for labels.
#   2. Labels pair up: every [A<n>] has an [R<n>] somewhere in core/ and
#      vice versa; an [F<n>] appears on both sides (twice at least);
#      [T<n>] (TSan-only edges, carried by something the file names)
#      appears on both sides too.
#   3. A label names a machine edge: each [A<n>]/[R<n>]/[F<n>] sits at least
#      once on a real operation (ck_pr_*, ck_ring_*, ipc_waitq_*), not only
#      beside ipc_tsan_* annotations (use [T<n>] for those).
#   4. A function named *_locked opens by asserting that its lock is held:
#      ipc_lock_assert_held() is its first statement after declarations
#      (and ipc_require()s of the arguments it dereferences).
#
# Usage: lint-core.pl FILE...      lint-core.pl --self-test
use strict;
use warnings;

my @errors;

sub lint_files {
	my (@files) = @_;
	my (%labels, %real);
	@errors = ();
	for my $f (@files) {
		open(my $fh, '<', $f) or die "$f: $!";
		my @l = <$fh>;
		close($fh);
		for my $i (0 .. $#l) {
			my $line = $l[$i];
			my $ctx = join('', @l[($i >= 2 ? $i - 2 : 0) .. $i]);
			if ($line =~ /(?:ck_pr_(fence_\w+|cas_\w+|fas_\w+)|arch_(fence_full))\s*\(/) {
				my $op = defined $1 ? $1 : $2;
				if ($ctx !~ /\[[ARF]\d+\]/) {
					if ($op =~ /^fence_/) {
						push @errors, "$f:" . ($i + 1) .
						    ": fence without an ordering label" .
						    ($ctx =~ /relaxed/i ? " (a fence is never relaxed)" : "");
					} elsif ($ctx !~ /Relaxed/i) {
						push @errors, "$f:" . ($i + 1) .
						    ": $op without an ordering label or \"Relaxed\"";
					}
				}
			}
			while ($line =~ /\[([ARFT])(\d+)\]/g) {
				my ($k, $n) = ($1, $2);
				$labels{"$k$n"}++;
				my $win = join('', @l[($i >= 1 ? $i - 1 : 0) ..
				    ($i + 2 <= $#l ? $i + 2 : $#l)]);
				# Strip comments: an operation named in prose is none.
				$win =~ s{/\*.*?\*/}{}gs;
				$win =~ s{^\s*\*.*$}{}mg;
				$real{"$k$n"}++
				    if $win =~ /\b(ck_pr_\w+|ck_ring_\w+|ipc_waitq_\w+|arch_fence_full)\s*\(/;
			}
		}
		lint_locked($f, @l);
	}
	for my $lab (sort keys %labels) {
		my ($k, $n) = ($lab =~ /^(.)(\d+)$/);
		if ($k eq 'A' && !$labels{"R$n"}) {
			push @errors, "label [A$n] has no [R$n] partner";
		} elsif ($k eq 'R' && !$labels{"A$n"}) {
			push @errors, "label [R$n] has no [A$n] partner";
		} elsif (($k eq 'F' || $k eq 'T') && $labels{$lab} < 2) {
			push @errors, "label [$lab] appears on one side only";
		}
		next if $k eq 'T';
		my $other = $k eq 'A' ? "R$n" : $k eq 'R' ? "A$n" : $lab;
		push @errors, "label [$lab] never sits on a real operation " .
		    "(only prose or ipc_tsan_* annotations: use [T$n])"
		    unless $real{$lab} || ($k ne 'F' && $real{$other});
	}
	return @errors;
}

sub lint_locked {
	my ($f, @l) = @_;
	for my $i (0 .. $#l) {
		next unless $l[$i] =~ /^(\w+_locked)\(/;
		my $fn = $1;
		my $j = $i;
		$j++ while $j <= $#l && $l[$j] !~ /^\{/;
		my $ok = 0;
		my $in_comment = 0;
		for my $k ($j + 1 .. $#l) {
			my $s = $l[$k];
			last if $s =~ /^\}/;
			if ($s =~ /ipc_lock_assert_held\s*\(/) { $ok = 1; last; }
			if ($in_comment) { $in_comment = 0 if $s =~ m{\*/}; next; }
			next if $s =~ /^\s*$/;
			if ($s =~ m{^\s*/\*}) { $in_comment = 1 unless $s =~ m{\*/}; next; }
			# A check of an argument the assert dereferences.
			next if $s =~ /^\tipc_require\(/;
			# A declaration, possibly with an initialiser.
			next if $s =~ /^\t(const\s+)?(struct|enum|union|unsigned|signed|bool|char|int|long|size_t|u?int\d+_t|\w+_t)\b[^;(]*[\w\]]\s*(=|;|,)/;
			next if $s =~ /^\t    \S/;    # continuation of one
			last;
		}
		push @errors, "$f:" . ($i + 1) .
		    ": $fn does not open with ipc_lock_assert_held()" unless $ok;
	}
}

sub self_test {
	my $dir = "/tmp/lint-core.$$";
	mkdir $dir or die;
	my %probe = (
	    'cas under a MACH.md citation' =>
		"\t/* MACH.md A3: publish */\n\tck_pr_cas_ptr(&p, NULL, q);\n",
	    'full fence tagged relaxed' =>
		"\tck_pr_fence_memory(); /* Relaxed */\n",
	    'arch full fence without a label' =>
		"\tarch_fence_full();\n",
	    'acquire without its release' =>
		"\tck_pr_fence_load(); /* [A40]: the table */\n",
	    'label only on an annotation' =>
		"\tipc_tsan_release(o); /* [R41] */\n\tx = 1;\n" .
		"\tipc_tsan_acquire(o); /* [A41] */\n",
	    '_locked without its assert' =>
		"static void\nfoo_locked(struct x *x)\n{\n\tint a = 1;\n\n\tx->y = a;\n}\n",
	);
	my %good = (
	    'labelled pair' =>
		"\tck_pr_fence_store(); /* [R42] */\n\tck_pr_store_ptr(&p, q);\n" .
		"\tq = ck_pr_load_ptr(&p);\n\tck_pr_fence_load(); /* [A42] */\n",
	    'relaxed cas' => "\t/* Relaxed: a counter */\n\tck_pr_cas_32(&n, 1, 2);\n",
	    '_locked with its assert' =>
		"static void\nfoo_locked(struct x *x)\n{\n\tstruct y *y = x->y;\n\n" .
		"\tipc_lock_assert_held(&x->lock);\n\ty->z = 0;\n}\n",
	);
	my $fail = 0;
	for my $name (sort keys %probe) {
		my $p = "$dir/probe.c";
		open(my $fh, '>', $p) or die;
		print $fh $probe{$name};
		close($fh);
		if (!lint_files($p)) {
			print "lint-core self-test: probe not caught: $name\n";
			$fail = 1;
		}
	}
	for my $name (sort keys %good) {
		my $p = "$dir/good.c";
		open(my $fh, '>', $p) or die;
		print $fh $good{$name};
		close($fh);
		if (my @e = lint_files($p)) {
			print "lint-core self-test: false alarm on $name: @e\n";
			$fail = 1;
		}
	}
	unlink glob("$dir/*");
	rmdir $dir;
	return $fail;
}

if (@ARGV && $ARGV[0] eq '--self-test') {
	exit(self_test() ? 1 : 0);
}
my @e = lint_files(@ARGV);
print "$_\n" for @e;
exit(@e ? 1 : 0);
