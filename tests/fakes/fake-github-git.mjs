// The part of fake-github.mjs that plays GitHub's git data, contents and pull
// request APIs: what a fix proposal reads (a file at a commit) and writes (a
// blob, a tree, a commit, a branch, a draft pull request). Objects are named
// as git names them (SHA-1 of "<type> <size>\0<content>"), so a tree's sha
// changes exactly when its files do.
import crypto from 'node:crypto';

export function emptyGit() {
  return {objects: {}, refs: {}, pulls: {}, nextPull: 1};
}

const gitSha = (type, content) => {
  const bytes = Buffer.from(content);
  return crypto.createHash('sha1').update(Buffer.concat([Buffer.from(`${type} ${bytes.length}\0`), bytes])).digest('hex');
};

function put(git, repo, type, content, extra) {
  const sha = gitSha(type, content);
  (git.objects[repo] ??= {})[sha] = {type, content, ...extra};
  return sha;
}

// A tree is a map path -> blob sha (flat: the fake keeps no subtrees).
function putTree(git, repo, files) {
  const sorted = Object.fromEntries(Object.entries(files).sort(([a], [b]) => a.localeCompare(b)));
  return put(git, repo, 'tree', JSON.stringify(sorted), {files: sorted});
}

function object(git, repo, sha, type) {
  const o = git.objects[repo]?.[sha];
  return o && o.type === type ? o : undefined;
}

// /_control/git {repo, branch, files: {path: text}, message}: a commit on top
// of the branch (or a first one), the branch moved to it; answers its sha.
export function seedCommit(git, {repo, branch = 'main', files, message = 'seed'}) {
  const blobs = Object.fromEntries(Object.entries(files).map(([path, text]) => [path, put(git, repo, 'blob', text)]));
  const tree = putTree(git, repo, blobs);
  const parent = git.refs[repo]?.[`refs/heads/${branch}`];
  const sha = put(git, repo, 'commit', JSON.stringify({tree, parents: parent ? [parent] : [], message}), {tree, parents: parent ? [parent] : [], message});
  (git.refs[repo] ??= {})[`refs/heads/${branch}`] = sha;
  return sha;
}

// The files of a ref or commit, as text: what /_control/git-files shows a test.
export function filesAt(git, repo, refOrSha) {
  const sha = git.refs[repo]?.[refOrSha] ?? git.refs[repo]?.[`refs/heads/${refOrSha}`] ?? refOrSha;
  const commit = object(git, repo, sha, 'commit');
  if (!commit) return null;
  const tree = object(git, repo, commit.tree, 'tree');
  return {commit: sha, parents: commit.parents, message: commit.message,
    files: Object.fromEntries(Object.entries(tree.files).map(([p, b]) => [p, object(git, repo, b, 'blob').content]))};
}

const notFound = {message: 'Not Found', documentation_url: 'https://docs.github.com/rest'};
const invalid = (message) => ({message, documentation_url: 'https://docs.github.com/rest'});

// Answers the request if it is one of these APIs; false otherwise.
export function gitRoute(git, req, res, url, path, json, send) {
  let m;
  const host = `http://${req.headers.host}`;
  if ((m = path.match(/^\/repos\/([^/]+\/[^/]+)\/contents\/(.+)$/)) && req.method === 'GET') {
    const [, repo, file] = m;
    const at = filesAt(git, repo, url.searchParams.get('ref') ?? 'main');
    const filePath = decodeURIComponent(file);
    if (!at || !(filePath in at.files)) return send(res, 404, notFound);
    const content = Buffer.from(at.files[filePath]);
    return send(res, 200, {type: 'file', encoding: 'base64', size: content.length, name: filePath.split('/').pop(),
      path: filePath, sha: gitSha('blob', at.files[filePath]),
      // GitHub wraps base64 at 60 characters.
      content: content.toString('base64').replace(/.{60}/g, '$&\n')});
  }
  if ((m = path.match(/^\/repos\/([^/]+\/[^/]+)\/git\/blobs$/)) && req.method === 'POST') {
    if (typeof json?.content !== 'string') return send(res, 422, invalid('Invalid request.\n\n"content" wasn\'t supplied.'));
    const text = json.encoding === 'base64' ? Buffer.from(json.content, 'base64').toString('utf8') : json.content;
    const sha = put(git, m[1], 'blob', text);
    return send(res, 201, {sha, url: `${host}/repos/${m[1]}/git/blobs/${sha}`});
  }
  if ((m = path.match(/^\/repos\/([^/]+\/[^/]+)\/git\/commits\/([0-9a-f]{40})$/)) && req.method === 'GET') {
    const commit = object(git, m[1], m[2], 'commit');
    if (!commit) return send(res, 404, notFound);
    return send(res, 200, {sha: m[2], tree: {sha: commit.tree}, parents: commit.parents.map((sha) => ({sha})), message: commit.message});
  }
  if ((m = path.match(/^\/repos\/([^/]+\/[^/]+)\/git\/trees$/)) && req.method === 'POST') {
    const repo = m[1];
    const base = json?.base_tree ? object(git, repo, json.base_tree, 'tree') : {files: {}};
    if (!base) return send(res, 422, invalid('Invalid tree info'));
    const files = {...base.files};
    for (const entry of json?.tree ?? []) {
      if (entry.mode !== '100644' || entry.type !== 'blob') return send(res, 422, invalid('Invalid tree info'));
      if (entry.sha === null) { delete files[entry.path]; continue; }
      const sha = entry.sha ?? put(git, repo, 'blob', entry.content ?? '');
      if (!object(git, repo, sha, 'blob')) return send(res, 422, invalid('Invalid tree info'));
      files[entry.path] = sha;
    }
    const sha = putTree(git, repo, files);
    return send(res, 201, {sha, url: `${host}/repos/${repo}/git/trees/${sha}`, truncated: false});
  }
  if ((m = path.match(/^\/repos\/([^/]+\/[^/]+)\/git\/commits$/)) && req.method === 'POST') {
    const repo = m[1];
    if (!json?.message || !object(git, repo, json.tree, 'tree') || !(json.parents ?? []).every((p) => object(git, repo, p, 'commit')))
      return send(res, 422, invalid('Invalid request.'));
    const commit = {tree: json.tree, parents: json.parents ?? [], message: json.message};
    const sha = put(git, repo, 'commit', JSON.stringify({...commit, at: Date.now()}), commit);
    return send(res, 201, {sha, tree: {sha: json.tree}, parents: commit.parents.map((p) => ({sha: p})), message: json.message});
  }
  if ((m = path.match(/^\/repos\/([^/]+\/[^/]+)\/git\/refs$/)) && req.method === 'POST') {
    const repo = m[1];
    if (!/^refs\/heads\/.+/.test(json?.ref ?? '') || !object(git, repo, json.sha, 'commit'))
      return send(res, 422, invalid('Invalid request.'));
    if (git.refs[repo]?.[json.ref]) return send(res, 422, invalid('Reference already exists'));
    (git.refs[repo] ??= {})[json.ref] = json.sha;
    return send(res, 201, {ref: json.ref, object: {type: 'commit', sha: json.sha}});
  }
  if ((m = path.match(/^\/repos\/([^/]+\/[^/]+)\/git\/ref\/(heads\/.+)$/)) && req.method === 'GET') {
    const sha = git.refs[m[1]]?.[`refs/${m[2]}`];
    if (!sha) return send(res, 404, notFound);
    return send(res, 200, {ref: `refs/${m[2]}`, object: {type: 'commit', sha}});
  }
  if ((m = path.match(/^\/repos\/([^/]+\/[^/]+)\/pulls$/))) {
    const repo = m[1];
    const pulls = (git.pulls[repo] ??= []);
    const owner = repo.split('/')[0];
    if (req.method === 'POST') {
      const head = git.refs[repo]?.[`refs/heads/${json?.head}`];
      if (!json?.title || !head || !git.refs[repo]?.[`refs/heads/${json?.base}`])
        return send(res, 422, invalid('Validation Failed'));
      if (pulls.some((p) => p.head.ref === json.head && p.state === 'open'))
        return send(res, 422, invalid(`A pull request already exists for ${owner}:${json.head}.`));
      const number = git.nextPull++;
      const pull = {id: 7000 + number, number, state: 'open', draft: Boolean(json.draft), title: json.title, body: json.body ?? '',
        head: {ref: json.head, sha: head}, base: {ref: json.base}, html_url: `https://github.com/${repo}/pull/${number}`,
        merged: false};
      pulls.push(pull);
      return send(res, 201, pull);
    }
    if (req.method === 'GET') {
      const head = url.searchParams.get('head');
      const wanted = url.searchParams.get('state') ?? 'open';
      return send(res, 200, pulls.filter((p) => (!head || `${owner}:${p.head.ref}` === head) && (wanted === 'all' || p.state === wanted)));
    }
  }
  return false;
}
