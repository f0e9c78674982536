// Repository objects as GitHub's REST API returns them, for the fake GitHub: `full-repository`
// (GET /repos/{owner}/{repo}) and `minimal-repository` (e.g. the selected repositories of an
// organization secret), with every field their OpenAPI schemas require and the URLs GitHub
// builds, rooted at the fake's own origin. The field list follows @octokit/openapi's
// api.github.com description; test/fakes/openapi.test.ts checks the result against it.
// https://docs.github.com/en/rest/repos/repos#get-a-repository

export interface RepositoryFacts {
  id: number;
  owner: string;
  name: string;
  ownerId: number;
  ownerType: 'User' | 'Organization';
  /** Whether the token may write (push) to it; GitHub reports that in `permissions`. */
  writable: boolean;
  createdAt: string;
}

export interface Origins {
  /** The REST API root, e.g. http://127.0.0.1:PORT or http://127.0.0.1:PORT/api/v3. */
  api: string;
  /** Where GitHub would serve the web pages: the fake's origin. */
  web: string;
}

/**
 * GitHub's legacy global node IDs: base64 of "0<length of type>:<type><id>", e.g.
 * "010:Repository1296269" -> "MDEwOlJlcG9zaXRvcnkxMjk2MjY5", "04:User1" -> "MDQ6VXNlcjE=".
 * https://docs.github.com/en/graphql/guides/using-global-node-ids
 */
function legacyNodeId(type: string, id: number): string {
  return Buffer.from(`0${type.length}:${type}${id}`).toString('base64');
}

/** `simple-user`: how GitHub shows a repository's owner, a user or an organization alike. */
export function simpleUser(
  origins: Origins,
  login: string,
  id: number,
  type: 'User' | 'Organization',
): Record<string, unknown> {
  const url = `${origins.api}/users/${login}`;
  return {
    login,
    id,
    node_id: legacyNodeId(type, id),
    avatar_url: `${origins.web}/avatars/u/${id}?v=4`,
    gravatar_id: '',
    url,
    html_url: `${origins.web}/${login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type,
    user_view_type: 'public',
    site_admin: false,
  };
}

/** `minimal-repository`: its required fields, in GitHub's order. */
export function minimalRepository(origins: Origins, repo: RepositoryFacts): Record<string, unknown> {
  const fullName = `${repo.owner}/${repo.name}`;
  const url = `${origins.api}/repos/${fullName}`;
  return {
    id: repo.id,
    node_id: legacyNodeId('Repository', repo.id),
    name: repo.name,
    full_name: fullName,
    private: true,
    owner: simpleUser(origins, repo.owner, repo.ownerId, repo.ownerType),
    html_url: `${origins.web}/${fullName}`,
    description: null,
    fork: false,
    url,
    forks_url: `${url}/forks`,
    keys_url: `${url}/keys{/key_id}`,
    collaborators_url: `${url}/collaborators{/collaborator}`,
    teams_url: `${url}/teams`,
    hooks_url: `${url}/hooks`,
    issue_events_url: `${url}/issues/events{/number}`,
    events_url: `${url}/events`,
    assignees_url: `${url}/assignees{/user}`,
    branches_url: `${url}/branches{/branch}`,
    tags_url: `${url}/tags`,
    blobs_url: `${url}/git/blobs{/sha}`,
    git_tags_url: `${url}/git/tags{/sha}`,
    git_refs_url: `${url}/git/refs{/sha}`,
    trees_url: `${url}/git/trees{/sha}`,
    statuses_url: `${url}/statuses/{sha}`,
    languages_url: `${url}/languages`,
    stargazers_url: `${url}/stargazers`,
    contributors_url: `${url}/contributors`,
    subscribers_url: `${url}/subscribers`,
    subscription_url: `${url}/subscription`,
    commits_url: `${url}/commits{/sha}`,
    git_commits_url: `${url}/git/commits{/sha}`,
    comments_url: `${url}/comments{/number}`,
    issue_comment_url: `${url}/issues/comments{/number}`,
    contents_url: `${url}/contents/{+path}`,
    compare_url: `${url}/compare/{base}...{head}`,
    merges_url: `${url}/merges`,
    archive_url: `${url}/{archive_format}{/ref}`,
    downloads_url: `${url}/downloads`,
    issues_url: `${url}/issues{/number}`,
    pulls_url: `${url}/pulls{/number}`,
    milestones_url: `${url}/milestones{/number}`,
    notifications_url: `${url}/notifications{?since,all,participating}`,
    labels_url: `${url}/labels{/name}`,
    releases_url: `${url}/releases{/id}`,
    deployments_url: `${url}/deployments`,
  };
}

/** `full-repository`: the minimal fields plus everything GET /repos/{owner}/{repo} must carry. */
export function fullRepository(origins: Origins, repo: RepositoryFacts): Record<string, unknown> {
  const fullName = `${repo.owner}/${repo.name}`;
  const host = new URL(origins.web).host;
  return {
    ...minimalRepository(origins, repo),
    created_at: repo.createdAt,
    updated_at: repo.createdAt,
    pushed_at: repo.createdAt,
    git_url: `git://${host}/${fullName}.git`,
    ssh_url: `git@${host}:${fullName}.git`,
    clone_url: `${origins.web}/${fullName}.git`,
    svn_url: `${origins.web}/${fullName}`,
    homepage: null,
    size: 0,
    stargazers_count: 0,
    watchers_count: 0,
    language: null,
    has_issues: true,
    has_projects: true,
    has_downloads: true,
    has_wiki: false,
    has_pages: false,
    has_discussions: false,
    forks_count: 0,
    mirror_url: null,
    archived: false,
    disabled: false,
    open_issues_count: 0,
    license: null,
    allow_forking: false,
    is_template: false,
    web_commit_signoff_required: false,
    topics: [],
    visibility: 'private',
    forks: 0,
    open_issues: 0,
    watchers: 0,
    default_branch: 'main',
    permissions: { admin: false, maintain: false, push: repo.writable, triage: repo.writable, pull: true },
    ...(repo.ownerType === 'Organization'
      ? { organization: simpleUser(origins, repo.owner, repo.ownerId, 'Organization') }
      : {}),
    network_count: 0,
    subscribers_count: 0,
  };
}

/**
 * `repository`: how GET /installation/repositories lists a repository. The same fields as a full
 * repository, less the three only GET /repos/{owner}/{repo} gives (organization, network_count,
 * subscribers_count).
 * https://docs.github.com/en/rest/apps/installations#list-repositories-accessible-to-the-app-installation
 */
export function listedRepository(origins: Origins, repo: RepositoryFacts): Record<string, unknown> {
  const {
    organization: _organization,
    network_count: _network,
    subscribers_count: _subscribers,
    ...listed
  } = fullRepository(origins, repo);
  return listed;
}
