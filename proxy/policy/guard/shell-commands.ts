/**
 * Per-command tables for the shell classifier: how each command of note names its options (so that every
 * spelling of one option gives one fact), which options take a value, how many leading words are
 * subcommands, and which positionals name files. Sources: each tool's own manual (GNU coreutils rm/chmod/chown,
 * git-push(1) and friends, kubectl, terraform's CLI docs, the AWS and gcloud CLI references, curl(1), wget(1),
 * psql(1)). A command missing here is parsed with POSIX/GNU defaults: letters split, long names kept.
 */
import type { OptionSpec } from './shell-options.js';

/** What the classifier knows of one command. */
export interface CommandSpec {
  /** Options of the command (for tools with subcommands: the global ones, also accepted after the subcommand). */
  options?: OptionSpec;
  /** How many of the leading positional words are subcommands (`aws s3 rm …` → 2). */
  subcommands?: (words: string[]) => number;
  /** Options of one subcommand, by the subcommand path joined with spaces or its first word. */
  sub?: Record<string, OptionSpec>;
  /** Whether positionals name files: `true` (default), `false`, or decided by the subcommands. */
  paths?: boolean | ((subcommands: string[]) => boolean);
  /** Leading positionals that are not files (chmod's mode, grep's pattern). */
  leadingNonPaths?: number;
}

/** `'r=recursive D=delete+force'` → `{ r: 'recursive', D: ['delete', 'force'] }`: tables stay one line each. */
function shorts(spec: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const item of spec.split(' ')) {
    const eq = item.indexOf('=');
    const names = item.slice(eq + 1).split('+');
    out[item.slice(0, eq)] = names.length === 1 ? names[0]! : names;
  }
  return out;
}

/** `'a b c'` → `['a', 'b', 'c']`. */
function words(list: string): string[] {
  return list.split(/\s+/).filter(Boolean);
}

/** Combines two option tables; the second wins on conflicts. */
export function mergeSpecs(a: OptionSpec | undefined, b: OptionSpec | undefined): OptionSpec {
  return {
    short: { ...a?.short, ...b?.short },
    long: { ...a?.long, ...b?.long },
    values: [...(a?.values ?? []), ...(b?.values ?? [])],
    singleDashLong: b?.singleDashLong ?? a?.singleDashLong,
    longBooleans:
      a?.longBooleans || b?.longBooleans
        ? [...(a?.longBooleans ?? []), ...(b?.longBooleans ?? [])]
        : undefined,
    modeLetters: b?.modeLetters ?? a?.modeLetters,
  };
}

/** The first word is a subcommand; a second one too when the first is one of `nested`. */
function oneOrTwo(nested: readonly string[]): (words: string[]) => number {
  const set = new Set(nested);
  return (words) => (words.length === 0 ? 0 : set.has(words[0]!) && words.length > 1 ? 2 : 1);
}

const RM: CommandSpec = {
  options: {
    short: shorts('r=recursive R=recursive f=force i=interactive I=interactive-once d=dir v=verbose'),
    long: shorts('interactive=interactive'),
  },
};

const CHMOD_LIKE: CommandSpec = {
  options: {
    short: shorts('R=recursive v=verbose c=changes f=silent h=no-dereference'),
    long: shorts('quiet=silent'),
    values: words('reference from'),
    modeLetters: /^[rwxXst]+$/,
  },
  leadingNonPaths: 1,
};

const GIT_PUSH: OptionSpec = {
  short: shorts('f=force d=delete u=set-upstream n=dry-run q=quiet v=verbose o=push-option'),
  values: words('push-option repo receive-pack exec recurse-submodules signed'),
};

const GIT: CommandSpec = {
  options: {
    short: shorts('C=C c=c p=paginate P=no-pager'),
    values: words('C c git-dir work-tree namespace exec-path config-env'),
  },
  subcommands: oneOrTwo(words('stash remote worktree submodule notes bisect reflog lfs')),
  sub: {
    push: GIT_PUSH,
    commit: {
      short: shorts('m=message F=file a=all C=reuse-message c=reedit-message n=no-verify q=quiet'),
      values: words('message file reuse-message reedit-message author date fixup squash template'),
    },
    branch: {
      short: shorts('d=delete D=delete+force f=force m=move M=move+force c=copy u=set-upstream-to'),
      values: words('set-upstream-to'),
    },
    tag: {
      short: shorts('d=delete f=force m=message a=annotate s=sign F=file'),
      values: words('message file'),
    },
    reset: { short: shorts('q=quiet p=patch') },
    clean: {
      short: shorts('f=force d=d x=x X=X n=dry-run i=interactive q=quiet e=exclude'),
      values: words('exclude'),
    },
    checkout: { short: shorts('f=force b=b B=B q=quiet p=patch'), values: words('b B orphan') },
    switch: {
      short: shorts('c=create C=force-create f=force d=detach'),
      values: words('create force-create orphan'),
    },
    clone: {
      short: shorts('b=branch o=origin q=quiet n=no-checkout j=jobs'),
      values: words('branch origin depth jobs reference config template filter'),
    },
    fetch: {
      short: shorts('f=force p=prune j=jobs'),
      values: words('depth jobs deepen shallow-since'),
    },
    merge: {
      short: shorts('m=message s=strategy X=strategy-option'),
      values: words('message strategy strategy-option'),
    },
    rebase: {
      short: shorts('i=interactive f=force-rebase x=exec s=strategy'),
      values: words('exec strategy onto'),
    },
    log: {
      short: shorts('n=max-count p=patch'),
      values: words('max-count author since until grep format pretty'),
    },
    'stash push': {
      short: shorts('m=message u=include-untracked a=all k=keep-index p=patch'),
      values: words('message'),
    },
  },
  paths: (subs) => ['add', 'rm', 'mv', 'restore', 'clean', 'clone', 'apply', 'init'].includes(subs[0] ?? ''),
};

const KUBECTL: CommandSpec = {
  options: {
    short: shorts(
      'n=namespace f=filename l=selector o=output c=container A=all-namespaces R=recursive i=stdin t=tty k=kustomize',
    ),
    values: words(
      'namespace filename selector output container context cluster user kubeconfig field-selector grace-period timeout kustomize image replicas type patch server token as template sort-by since tail',
    ),
  },
  subcommands: oneOrTwo(words('config rollout auth certificate plugin')),
  paths: false,
};

const TERRAFORM: CommandSpec = {
  options: {
    singleDashLong: true,
    values: words(
      'chdir var var-file target replace out state state-out backup lock-timeout parallelism backend-config lockfile plugin-dir',
    ),
  },
  subcommands: oneOrTwo(words('state workspace providers metadata')),
  paths: false,
};

/** aws: nearly every option takes a value; these are the switches (AWS CLI v2 reference, global and s3). */
const AWS_BOOLEANS = words(
  'debug no-verify-ssl no-paginate no-sign-request no-cli-pager cli-auto-prompt no-cli-auto-prompt recursive dryrun dry-run no-dry-run force quiet only-show-errors no-progress follow-symlinks no-follow-symlinks delete exact-timestamps size-only human-readable summarize no-guess-mime-type bypass-governance-retention force-delete-without-recovery skip-final-snapshot no-skip-final-snapshot delete-automated-backups force-destroy',
);

const AWS: CommandSpec = {
  options: { longBooleans: AWS_BOOLEANS },
  subcommands: (words) => Math.min(2, words.length),
  paths: (subs) => subs[0] === 's3',
};

/** gcloud words after which the rest are positionals (the command tree's leaf verbs). */
const GCLOUD_VERBS = new Set(
  words(
    'delete create list describe update deploy set get unset add remove start stop reset resize ssh scp connect import export cp mv rm cat ls restore patch promote-replica failover submit run execute call enable disable activate login revoke print-access-token get-credentials get-iam-policy set-iam-policy add-iam-policy-binding remove-iam-policy-binding undelete purge cancel wait apply destroy tail read write publish pull ack rollback roll-back upgrade',
  ),
);

/**
 * gcloud's rule (simple on purpose): the leading words before the first option are subcommands, up to and
 * including the first word that is a known verb (`delete`, `create`, `list`, …); with no known verb, all of them.
 * `gcloud compute instances delete vm-1 --zone z` → `["compute", "instances", "delete"]`, args `["vm-1"]`.
 */
function gcloudSubcommands(words: string[]): number {
  for (let i = 0; i < words.length; i++) if (GCLOUD_VERBS.has(words[i]!)) return i + 1;
  return words.length;
}

const GCLOUD: CommandSpec = {
  options: {
    short: shorts('q=quiet h=help'),
    longBooleans: words(
      'quiet async dry-run recursive force all help verbose no-user-output-enabled log-http delete-disks-all keep-disks-all skip-final-snapshot',
    ),
  },
  subcommands: gcloudSubcommands,
  paths: false,
};

/** Options of `docker run`/`create`/`exec` (also read by shell-remote.ts to find the container's command). */
export const DOCKER_RUN: OptionSpec = {
  short: shorts('v=volume e=env p=publish u=user w=workdir i=interactive t=tty d=detach a=attach l=label'),
  values: words(
    'volume env publish user workdir name network mount entrypoint platform label env-file attach',
  ),
};
const DOCKER_REMOVE: OptionSpec = {
  short: shorts('f=force v=volumes a=all q=quiet'),
  values: words('filter'),
};

const DOCKER: CommandSpec = {
  options: {
    short: shorts('H=host c=context l=log-level D=debug'),
    values: words('host context config log-level'),
  },
  subcommands: oneOrTwo(
    words(
      'container image volume network system compose builder buildx context plugin secret service stack swarm node config manifest trust',
    ),
  ),
  sub: {
    run: DOCKER_RUN,
    create: DOCKER_RUN,
    exec: DOCKER_RUN,
    'container run': DOCKER_RUN,
    'container create': DOCKER_RUN,
    'container exec': DOCKER_RUN,
    rm: DOCKER_REMOVE,
    rmi: DOCKER_REMOVE,
    container: DOCKER_REMOVE,
    image: DOCKER_REMOVE,
    volume: DOCKER_REMOVE,
    network: DOCKER_REMOVE,
    system: DOCKER_REMOVE,
    builder: DOCKER_REMOVE,
    compose: {
      short: shorts('f=file p=project-name v=volumes d=detach t=timeout'),
      values: words('file project-name timeout rmi profile env-file'),
    },
    build: { short: shorts('t=tag f=file q=quiet'), values: words('tag file build-arg target platform') },
  },
  paths: false,
};

const NPM: CommandSpec = {
  options: {
    short: shorts('g=global D=save-dev w=workspace y=yes f=force'),
    values: words('workspace registry prefix tag otp'),
  },
  subcommands: (words) => Math.min(1, words.length),
  paths: false,
};

const CURL: CommandSpec = {
  options: {
    short: shorts(
      'X=request d=data H=header o=output O=remote-name s=silent S=show-error L=location f=fail k=insecure u=user F=form T=upload-file A=user-agent e=referer b=cookie c=cookie-jar x=proxy m=max-time I=head i=include v=verbose w=write-out K=config r=range C=continue-at E=cert G=get N=no-buffer #=progress-bar Z=parallel q=disable z=time-cond U=proxy-user Y=speed-limit y=speed-time D=dump-header P=ftp-port Q=quote t=telnet-option',
    ),
    values: words(
      'request data header output user form upload-file user-agent referer cookie cookie-jar proxy max-time write-out config range continue-at cert data-raw data-binary data-urlencode data-ascii json url connect-timeout retry retry-delay retry-max-time output-dir proto proto-redir cacert capath key resolve connect-to limit-rate max-filesize oauth2-bearer time-cond proxy-user speed-limit speed-time dump-header ftp-port quote telnet-option interface unix-socket form-string variable expand-url aws-sigv4 pinnedpubkey',
    ),
  },
  paths: false,
};

const WGET: CommandSpec = {
  options: {
    short: shorts(
      'O=output-document o=output-file q=quiet P=directory-prefix U=user-agent c=continue r=recursive N=timestamping v=verbose i=input-file t=tries T=timeout l=level k=convert-links m=mirror b=background e=execute a=append-output x=force-directories S=server-response p=page-requisites',
    ),
    values: words(
      'output-document output-file directory-prefix user-agent input-file tries timeout level execute append-output header post-data post-file method body-data user password load-cookies save-cookies ca-certificate certificate private-key limit-rate wait accept reject',
    ),
  },
  paths: false,
};

const PSQL: CommandSpec = {
  options: {
    short: shorts(
      'c=command f=file d=dbname h=host p=port U=username v=set o=output L=log-file F=field-separator R=record-separator P=pset T=table-attr W=password w=no-password X=no-psqlrc 1=single-transaction A=no-align t=tuples-only q=quiet e=echo-queries E=echo-hidden a=echo-all b=echo-errors x=expanded H=html l=list s=single-step S=single-line n=no-readline z=field-separator-zero 0=record-separator-zero V=version',
    ),
    long: shorts('variable=set'),
    values: words(
      'command file dbname host port username set output log-file field-separator record-separator pset table-attr',
    ),
  },
  paths: false,
};

const FIND: CommandSpec = {
  options: {
    singleDashLong: true,
    values: words(
      'name iname path ipath wholename iwholename regex iregex type xtype maxdepth mindepth newer anewer cnewer perm user group uid gid size mtime atime ctime mmin amin cmin inum links lname ilname samefile used fstype printf fprint fprintf fprint0 fls regextype context newermt files0-from',
    ),
  },
};

/** Commands whose positionals are not files (URLs, hosts, process ids, text). */
const NO_PATHS: CommandSpec = { paths: false };

/** The table, by command name (without directory). */
export const COMMANDS: ReadonlyMap<string, CommandSpec> = new Map<string, CommandSpec>([
  ['rm', RM],
  ['rmdir', { options: { short: shorts('p=parents v=verbose') } }],
  ['chmod', CHMOD_LIKE],
  ['chown', CHMOD_LIKE],
  ['chgrp', CHMOD_LIKE],
  ['git', GIT],
  ['kubectl', KUBECTL],
  ['terraform', TERRAFORM],
  ['tofu', TERRAFORM],
  ['aws', AWS],
  ['gcloud', GCLOUD],
  ['docker', DOCKER],
  ['podman', DOCKER],
  ['npm', NPM],
  ['pnpm', NPM],
  ['yarn', NPM],
  ['curl', CURL],
  ['wget', WGET],
  ['psql', PSQL],
  ['find', FIND],
  [
    'grep',
    {
      options: {
        values: words('e f m A B C regexp file include exclude max-count'),
      },
      leadingNonPaths: 1,
    },
  ],
  [
    'rg',
    {
      options: { values: words('e g t T m A B C glob type max-count') },
      leadingNonPaths: 1,
    },
  ],
  ['sed', { options: { values: words('e f expression file') }, leadingNonPaths: 1 }],
  ['awk', { options: { values: words('F v f') }, leadingNonPaths: 1 }],
  ['mkdir', { options: { short: shorts('p=parents m=mode v=verbose'), values: words('mode') } }],
  [
    'cp',
    {
      options: {
        short: shorts(
          'r=recursive R=recursive f=force a=archive i=interactive n=no-clobber v=verbose t=target-directory',
        ),
        values: words('target-directory'),
      },
    },
  ],
  [
    'mv',
    {
      options: {
        short: shorts('f=force i=interactive n=no-clobber v=verbose t=target-directory'),
        values: words('target-directory'),
      },
    },
  ],
  ['dd', NO_PATHS],
  ...[
    'echo',
    'printf',
    'kill',
    'pkill',
    'killall',
    'ssh',
    'ping',
    'sleep',
    'true',
    'false',
    'which',
    'type',
    'export',
    'npx',
    'make',
    'go',
    'cargo',
    'pip',
    'pip3',
    'brew',
    'apt',
    'apt-get',
  ].map((name): [string, CommandSpec] => [name, NO_PATHS]),
]);
