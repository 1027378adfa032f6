// A typed Faultline client: openapi-fetch over the `paths` that
// openapi-typescript generates from schemas/openapi.yaml (module
// "faultline-openapi", written by scripts/contract). A change to the document
// that breaks a call here fails `tsc`, as it would a dashboard's build.
import createClient, {type Middleware} from 'openapi-fetch';
import type {components, paths} from 'faultline-openapi';

export type Schemas = components['schemas'];
export type Project = Schemas['Project'];
export type Tokens = Schemas['Tokens'];

export function faultline(baseUrl: string, token?: string) {
  const client = createClient<paths>({baseUrl});
  if (token) {
    const bearer: Middleware = {
      onRequest({request}) {
        request.headers.set('Authorization', `Bearer ${token}`);
        return request;
      },
    };
    client.use(bearer);
  }
  return client;
}

export async function signIn(baseUrl: string, email: string, password: string): Promise<Tokens> {
  const {data, error, response} = await faultline(baseUrl).POST('/api/v1/auth/login', {
    body: {email, password},
  });
  if (!data) throw new Error(`login: ${response.status} ${error?.title ?? ''}`);
  return data;
}

// What a dashboard does: its own account, runs, incidents, status, and a
// project created, changed under If-Match, read and deleted.
export async function tour(baseUrl: string, email: string, password: string): Promise<string[]> {
  const seen: string[] = [];
  const tokens = await signIn(baseUrl, email, password);
  seen.push(`signed in, token_type ${tokens.token_type}, expires in ${tokens.expires_in} s`);
  const api = faultline(baseUrl, tokens.access_token);

  const me = await api.GET('/api/v1/auth/me');
  if (!me.data) throw new Error(`me: ${me.response.status}`);
  seen.push(`me: ${me.data.email} (${me.data.role})`);

  const runs = await api.GET('/api/v1/workflow-runs', {params: {query: {page_size: 10, status: 'completed'}}});
  if (!runs.data) throw new Error(`workflow-runs: ${runs.response.status}`);
  seen.push(`workflow runs: ${runs.data.total}`);

  const incidents = await api.GET('/api/v1/incidents', {params: {query: {state: 'open'}}});
  if (!incidents.data) throw new Error(`incidents: ${incidents.response.status}`);
  seen.push(`open incidents: ${incidents.data.total}`);

  const status = await faultline(baseUrl).GET('/api/v1/status');
  if (!status.data) throw new Error(`status: ${status.response.status}`);
  seen.push(`status: ${status.data.status}, ${status.data.services.length} service(s)`);

  const created = await api.POST('/api/v1/projects', {body: {name: 'typed client', description: 'made by tests/contract/client.ts'}});
  if (!created.data) throw new Error(`create project: ${created.response.status} ${created.error?.detail ?? ''}`);
  const project: Project = created.data;
  const etag = created.response.headers.get('ETag') ?? '';
  const changed = await api.PATCH('/api/v1/projects/{id}', {
    params: {path: {id: project.id}, header: {'If-Match': etag}},
    body: {name: 'typed client, renamed'},
  });
  if (!changed.data) throw new Error(`patch project: ${changed.response.status} ${changed.error?.detail ?? ''}`);
  const read = await api.GET('/api/v1/projects/{id}', {params: {path: {id: project.id}}});
  if (read.data?.name !== 'typed client, renamed') throw new Error(`get project: ${read.response.status}`);
  const deleted = await api.DELETE('/api/v1/projects/{id}', {params: {path: {id: project.id}}});
  if (deleted.response.status !== 204) throw new Error(`delete project: ${deleted.response.status}`);
  seen.push(`project ${project.id} created, renamed, read and deleted`);
  return seen;
}
