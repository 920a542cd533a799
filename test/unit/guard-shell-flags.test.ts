import { beforeAll, describe, expect, it } from 'vitest';
import type { ShellFacts } from '../../proxy/policy/guard/types.js';
import { HOME, only, shellClassifier } from '../helpers/shell-guard.js';

/** Flags normalised per command, subcommands, positionals and the files they name. */
let classify: (line: string, cwd?: string | null) => ShellFacts;
beforeAll(async () => {
  classify = await shellClassifier({
    '/home/dev/project/migrations/drop.sql': 'DROP TABLE orders;',
    '/tmp/seed.sql': 'INSERT INTO t VALUES (1);',
  });
});

const facts = (line: string, name: string) => only(classify(line), name);

describe('rm: every spelling of recursive+force is one fact', () => {
  it.each([
    'rm -rf x',
    'rm -fr x',
    'rm -r -f x',
    'rm -R -f x',
    'rm -Rf x',
    'rm -f -R x',
    'rm --recursive --force x',
    'rm --force -r x',
    'rm -rfv x',
    'rm x -rf',
    "rm '-rf' x",
    "rm $'-rf' x",
    "rm -r$'f' x",
  ])('%s', (line) => {
    const rm = facts(line, 'rm');
    expect(rm.flags.filter((f) => f === 'force' || f === 'recursive')).toEqual(['force', 'recursive']);
    expect(rm.paths).toEqual(['/home/dev/project/x']);
  });

  it('-- ends options: what follows is a file, even if it starts with a dash', () => {
    const rm = facts('rm -- -rf', 'rm');
    expect(rm.flags).toEqual([]);
    expect(rm.args).toEqual(['-rf']);
    expect(rm.paths).toEqual(['/home/dev/project/-rf']);
  });

  it('only -r is not force', () => {
    expect(facts('rm -r x', 'rm').flags).toEqual(['recursive']);
    expect(facts('rm -i x', 'rm').flags).toEqual(['interactive']);
  });
});

describe('paths are resolved against the working directory', () => {
  it.each([
    ['rm -rf ../other', ['/home/dev/other']],
    ['rm -rf ~/x', [`${HOME}/x`]],
    ['rm -rf ~', [HOME]],
    ['rm -rf $HOME/.cache', [`${HOME}/.cache`]],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax, not a template
    ['rm -rf "${HOME}"', [HOME]],
    ['rm -rf ./a/../b/ c', ['/home/dev/project/b', '/home/dev/project/c']],
    ['rm -rf /tmp/x/', ['/tmp/x']],
    ['rm -rf /', ['/']],
    ['rm -rf *', ['/home/dev/project/*']],
    ['rm -rf $DIR/x "$TMP"', []],
    ['rm -rf ~other/x', []],
  ])('%s', (line, paths) => {
    expect(facts(line, 'rm').paths).toEqual(paths);
  });

  it('relative paths need a working directory; cd does not move it (not tracked)', () => {
    const noCwd = only(classify('rm -rf x ~/y /abs', null), 'rm');
    expect(noCwd.paths).toEqual([`${HOME}/y`, '/abs']);
    expect(noCwd.args).toEqual(['x', '~/y', '/abs']);
    expect(only(classify('rm -rf x', '/srv/app'), 'rm').paths).toEqual(['/srv/app/x']);
  });

  it('chmod/chown: -R, and the mode or owner is not a file', () => {
    const chmod = facts('chmod -R 777 /etc', 'chmod');
    expect(chmod.flags).toEqual(['recursive']);
    expect(chmod.args).toEqual(['777', '/etc']);
    expect(chmod.paths).toEqual(['/etc']);
    expect(facts('chmod -x script.sh', 'chmod').flags).toEqual([]);
    expect(facts('chmod -x script.sh', 'chmod').paths).toEqual(['/home/dev/project/script.sh']);
    const chown = facts('sudo chown -R root:root ~/.ssh', 'chown');
    expect(chown.flags).toEqual(['recursive']);
    expect(chown.paths).toEqual([`${HOME}/.ssh`]);
  });
});

describe('git', () => {
  it.each([
    ['git push --force origin main', ['force']],
    ['git push -f origin main', ['force']],
    ['git push origin main -f', ['force']],
    ['git push --force-with-lease origin main', ['force-with-lease']],
    ['git push --force-with-lease=main:abc123 origin main', ['force-with-lease']],
    [
      'git push --force-with-lease --force-if-includes origin main',
      ['force-if-includes', 'force-with-lease'],
    ],
    ['git push origin +main', ['force']],
    ['git push origin +HEAD:refs/heads/main', ['force']],
    ['git push --delete origin feature', ['delete']],
    ['git push -d origin feature', ['delete']],
    ['git push origin :feature', ['delete']],
    ['git push --mirror backup', ['mirror']],
    ['git push -uf origin main', ['force', 'set-upstream']],
    ['git -C /repo -c core.x=y push -f origin main', ['C', 'c', 'force']],
  ])('%s', (line, flags) => {
    const git = facts(line, 'git');
    expect(git.subcommands).toEqual(['push']);
    expect(git.flags).toEqual(flags);
  });

  it('positionals after push are the remote and refspecs, not files', () => {
    const git = facts('git push --force origin main', 'git');
    expect(git.args).toEqual(['origin', 'main']);
    expect(git.paths).toEqual([]);
    expect(facts('git -C /repo push origin main', 'git').args).toEqual(['origin', 'main']);
  });

  it('other subcommands and their options', () => {
    const commit = facts('git commit -am "rm -rf everything" --no-verify', 'git');
    expect(commit.subcommands).toEqual(['commit']);
    expect(commit.flags).toEqual(['all', 'message', 'no-verify']);
    expect(commit.args).toEqual([]);
    expect(facts('git branch -D feature', 'git').flags).toEqual(['delete', 'force']);
    expect(facts('git reset --hard HEAD~3', 'git').flags).toEqual(['hard']);
    expect(facts('git clean -fdx', 'git').flags).toEqual(['d', 'force', 'x']);
    expect(facts('git stash drop stash@{0}', 'git').subcommands).toEqual(['stash', 'drop']);
    expect(facts('git rm -r --cached build', 'git').paths).toEqual(['/home/dev/project/build']);
  });
});

describe('kubectl, terraform, aws, gcloud, docker, npm', () => {
  it.each([
    ['kubectl delete pod web-1', 'kubectl', ['delete'], [], ['pod', 'web-1']],
    [
      'kubectl -n prod delete deployment api --grace-period 0 --force',
      'kubectl',
      ['delete'],
      ['force', 'grace-period', 'namespace'],
      ['deployment', 'api'],
    ],
    ['kubectl --context=prod delete ns staging', 'kubectl', ['delete'], ['context'], ['ns', 'staging']],
    ['kubectl delete -f manifests/ --all', 'kubectl', ['delete'], ['all', 'filename'], []],
    ['kubectl rollout restart deploy/api', 'kubectl', ['rollout', 'restart'], [], ['deploy/api']],
    ['terraform destroy -auto-approve', 'terraform', ['destroy'], ['auto-approve'], []],
    [
      'terraform -chdir=infra apply -var "x=1" -target=module.db',
      'terraform',
      ['apply'],
      ['chdir', 'target', 'var'],
      [],
    ],
    ['terraform apply -destroy -auto-approve', 'terraform', ['apply'], ['auto-approve', 'destroy'], []],
    ['terraform state rm aws_instance.x', 'terraform', ['state', 'rm'], [], ['aws_instance.x']],
    ['aws s3 rm s3://bucket/prefix --recursive', 'aws', ['s3', 'rm'], ['recursive'], ['s3://bucket/prefix']],
    [
      'aws --profile prod s3 rm --recursive s3://b',
      'aws',
      ['s3', 'rm'],
      ['profile', 'recursive'],
      ['s3://b'],
    ],
    ['aws s3 rb s3://b --force', 'aws', ['s3', 'rb'], ['force'], ['s3://b']],
    [
      'aws ec2 terminate-instances --instance-ids i-1 i-2 --region eu-west-1',
      'aws',
      ['ec2', 'terminate-instances'],
      ['instance-ids', 'region'],
      ['i-2'],
    ],
    [
      'gcloud compute instances delete vm-1 --zone us-central1-a --quiet',
      'gcloud',
      ['compute', 'instances', 'delete'],
      ['quiet', 'zone'],
      ['vm-1'],
    ],
    ['gcloud projects delete my-proj', 'gcloud', ['projects', 'delete'], [], ['my-proj']],
    [
      'gcloud --project=p sql instances delete db -q',
      'gcloud',
      ['sql', 'instances', 'delete'],
      ['project', 'quiet'],
      ['db'],
    ],
    ['gcloud config set project foo', 'gcloud', ['config', 'set'], [], ['project', 'foo']],
    ['docker rm -f web', 'docker', ['rm'], ['force'], ['web']],
    ['docker compose down -v', 'docker', ['compose', 'down'], ['volumes'], []],
    ['docker system prune -af', 'docker', ['system', 'prune'], ['all', 'force'], []],
    [
      'docker run --rm -it -v /:/host alpine sh',
      'docker',
      ['run'],
      ['interactive', 'rm', 'tty', 'volume'],
      ['alpine'],
    ],
    ['npm run build', 'npm', ['run'], [], ['build']],
    ['npm publish --tag next', 'npm', ['publish'], ['tag'], []],
  ])('%s', (line, name, subcommands, flags, args) => {
    const c = facts(line, name);
    expect(c.subcommands).toEqual(subcommands);
    expect(c.flags).toEqual(flags);
    expect(c.args).toEqual(args);
    expect(c.paths).toEqual([]);
  });

  it('aws s3 cp: local operands are files, s3:// URLs are not', () => {
    const aws = facts('aws s3 cp ./dump.sql s3://b/dump.sql', 'aws');
    expect(aws.paths).toEqual(['/home/dev/project/dump.sql']);
  });
});

describe('curl and wget', () => {
  it('options that take a value do not leave it as the URL', () => {
    const curl = facts('curl -X DELETE -H "Authorization: Bearer t" https://api/x -o out.json', 'curl');
    expect(curl.flags).toEqual(['header', 'output', 'request']);
    expect(curl.args).toEqual(['https://api/x']);
    expect(curl.paths).toEqual([]);
    expect(facts('curl -sSLo /tmp/i.sh https://x', 'curl').flags).toEqual([
      'location',
      'output',
      'show-error',
      'silent',
    ]);
    expect(facts('curl -sSLo /tmp/i.sh https://x', 'curl').args).toEqual(['https://x']);
    const wget = facts('wget -qO- --header "X: y" https://x', 'wget');
    expect(wget.flags).toEqual(['header', 'output-document', 'quiet']);
    expect(wget.args).toEqual(['https://x']);
  });
});

describe('psql: SQL in -c, -f, stdin', () => {
  it.each([
    ["psql -c 'DROP TABLE x'", ['DROP TABLE x']],
    ["psql -h db.example -c 'DROP TABLE x'", ['DROP TABLE x']],
    ["psql -h db -p 5432 -U admin -d app -c 'DROP TABLE x'", ['DROP TABLE x']],
    ["psql --command='TRUNCATE t' app", ['TRUNCATE t']],
    ['psql --command "TRUNCATE t" app', ['TRUNCATE t']],
    ["psql -c'DELETE FROM t'", ['DELETE FROM t']],
    ["psql postgres://u@h/db -c 'select 1' -c 'DROP TABLE y'", ['select 1', 'DROP TABLE y']],
    ["psql -Xqc 'DROP TABLE x'", ['DROP TABLE x']],
    ['psql -f migrations/drop.sql', ['DROP TABLE orders;']],
    ['psql --file=/tmp/seed.sql', ['INSERT INTO t VALUES (1);']],
    ['psql -f missing.sql', []],
    ['psql app <<< "DROP TABLE z"', ['DROP TABLE z']],
    ['psql app <<EOF\nDELETE FROM t;\nEOF', ['DELETE FROM t;\n']],
    ["psql app <<'SQL'\nDROP TABLE $x;\nSQL", ['DROP TABLE $x;\n']],
    ['cat <<EOF | psql app\nTRUNCATE t;\nEOF', ['TRUNCATE t;\n']],
    ['psql app < /tmp/seed.sql', ['INSERT INTO t VALUES (1);']],
    ['cat migrations/drop.sql | psql app', ['DROP TABLE orders;']],
    ['echo "DROP TABLE e" | psql app', ['DROP TABLE e']],
    ["sudo -u postgres psql -c 'DROP DATABASE prod'", ['DROP DATABASE prod']],
    ['bash -c "psql -c \'DROP TABLE n\'"', ['DROP TABLE n']],
  ])('%s', (line, sql) => {
    const facts = classify(line);
    expect(facts.sql).toEqual(sql);
    expect(facts.parseError).toBeUndefined();
  });

  it('a reader that throws is treated as a missing file', async () => {
    const { loadShellParser, ShellClassifier } = await import('../../proxy/policy/guard/shell.js');
    await loadShellParser();
    const classifier = new ShellClassifier();
    const readFile = () => {
      throw new Error('EACCES');
    };
    const facts = classifier.classify("psql -f x.sql -c 'SELECT 1'", { cwd: '/p', home: '/h', readFile });
    expect(facts.sql).toEqual(['SELECT 1']);
    expect(facts.parseError).toBeUndefined();
    classifier.dispose();
  });

  it('psql flags and positionals', () => {
    const psql = facts("psql -h host -U me -c 'DROP TABLE x' mydb", 'psql');
    expect(psql.flags).toEqual(['command', 'host', 'username']);
    expect(psql.args).toEqual(['mydb']);
    expect(psql.paths).toEqual([]);
  });
});

describe('cd earlier on the line moves where later paths resolve', () => {
  it.each([
    ['cd / && rm -rf *', ['/*']],
    ['cd /tmp; rm -rf x', ['/tmp/x']],
    ['cd .. && cd other && rm -rf z', ['/home/dev/other/z']],
    ['cd && rm -rf x', [`${HOME}/x`]],
    ['cd ~ && rm -rf x', [`${HOME}/x`]],
    ['pushd /srv > /dev/null && rm -rf data', ['/srv/data']],
    ['sh -c "cd /etc && rm -rf ssh"', ['/etc/ssh']],
    ['eval "cd /var"; rm -rf log', ['/var/log']],
    ['(cd /tmp && make) && rm -rf build', ['/home/dev/project/build']],
    ['echo $(cd /; pwd) && rm -rf build', ['/home/dev/project/build']],
    ['cd /tmp | cat; rm -rf build', ['/home/dev/project/build']],
    ['bash -c "cd /"; rm -rf build', ['/home/dev/project/build']],
    ['cd "$WORK" && rm -rf build /abs', ['/abs']],
    ['cd - && rm -rf build', []],
    ['popd && rm -rf build', []],
  ])('%s', (line, paths) => {
    expect(only(classify(line), 'rm').paths).toEqual(paths);
  });
});

describe('files written by output redirections', () => {
  it.each([
    ['echo "ssh-ed25519 AAA" >> ~/.ssh/authorized_keys', 'echo', [`${HOME}/.ssh/authorized_keys`]],
    ['printf "K=v" > .env.local', 'printf', ['/home/dev/project/.env.local']],
    ['ls &> /tmp/out', 'ls', ['/tmp/out']],
    ['ls >& /tmp/out', 'ls', ['/tmp/out']],
    ['ls 2>> err.log >| out.log', 'ls', ['/home/dev/project/err.log', '/home/dev/project/out.log']],
    ["cat <<'EOF' > ~/.aws/credentials\n[default]\nEOF", 'cat', [`${HOME}/.aws/credentials`]],
    ['cat > config/.env <<EOF\nA=1\nEOF', 'cat', ['/home/dev/project/config/.env']],
    ['sudo tee /etc/hosts < h > /dev/null', 'tee', ['/dev/null']],
  ])('%s', (line, name, writes) => {
    expect(only(classify(line), name).writes).toEqual(writes);
  });

  it('a group redirected writes from each command in it; descriptors are not files', () => {
    const facts = classify('{ echo a; echo b; } >> .env 2>&1; ls >&2 2>&1');
    expect(facts.commands.map((c) => c.writes)).toEqual([
      ['/home/dev/project/.env'],
      ['/home/dev/project/.env'],
      undefined,
    ]);
  });

  it('what follows a here-document on its line runs after it, and counts', () => {
    const facts = classify('cat <<EOF >> notes && cd / && rm -rf *\nk\nEOF');
    expect(facts.commands.map((c) => c.name)).toEqual(['cat', 'cd', 'rm']);
    expect(only(facts, 'rm').paths).toEqual(['/*']);
    expect(only(facts, 'cat').writes).toEqual(['/home/dev/project/notes']);
  });
});

describe('xargs gets the words piped into it when the line shows them', () => {
  it.each([
    ['echo /etc | xargs rm -rf', ['/etc']],
    ['echo ~/a b | xargs -n1 sudo rm -rf', [`${HOME}/a`, '/home/dev/project/b']],
    ['xargs rm -f <<< "/tmp/x /tmp/y"', ['/tmp/x', '/tmp/y']],
    ['find / | xargs rm -rf', []],
  ])('%s', (line, paths) => {
    expect(only(classify(line), 'rm').paths).toEqual(paths);
  });
});
