// Holds the API to its OpenAPI document: every response the suite receives is
// checked against the schema the document gives for its path, method, status
// and media type.
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

export class Contract {
  constructor(document) {
    this.document = document;
    this.ajv = new Ajv2020({strict: false, allErrors: true});
    addFormats(this.ajv);
    this.ajv.addSchema(document, 'openapi.json');
    this.routes = Object.keys(document.paths).map((template) => ({
      template,
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }));
    this.validators = new Map();
    this.checked = new Set();  // "METHOD template status"
    this.violations = [];
  }

  // The document's entry for a concrete path: exact templates before ones with parameters.
  templateOf(path) {
    const matches = this.routes.filter((r) => r.pattern.test(path));
    matches.sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0));
    return matches[0]?.template;
  }

  resolve(object) {
    let at = object;
    while (at && at.$ref) at = at.$ref.slice(2).split('/').reduce((node, key) => node[key], this.document);
    return at;
  }

  // Records a violation unless the response is what the document says.
  check(method, url, status, contentType, text) {
    const path = new URL(url).pathname;
    const template = this.templateOf(path);
    const what = `${method} ${path} → ${status}`;
    // The router's own answers to what it does not serve.
    if (!template) return status === 404 ? undefined : this.violations.push(`${what}: no such path in the document`);
    const operation = this.document.paths[template][method.toLowerCase()];
    if (!operation) return [404, 405].includes(status) ? undefined : this.violations.push(`${what}: method not documented`);
    const response = this.resolve(operation.responses[String(status)]);
    if (!response) return this.violations.push(`${what}: status not documented for ${method} ${template}`);
    this.checked.add(`${method} ${template} ${status}`);
    const type = (contentType ?? '').split(';')[0].trim();
    if (!response.content) {
      if (text.length > 0 && status !== 304) this.violations.push(`${what}: body where the document has none`);
      return;
    }
    const media = response.content[type];
    if (!media) return this.violations.push(`${what}: content-type ${type} not documented`);
    const key = `${template} ${method} ${status} ${type}`;
    if (!this.validators.has(key)) {
      // A JSON pointer into the document, as a URI fragment.
      const pointer = (...parts) => parts.map((p) => encodeURIComponent(p.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');
      const declared = operation.responses[String(status)];
      const at = declared.$ref ? declared.$ref.slice(2).split('/').map(decodeURIComponent)
                               : ['paths', template, method.toLowerCase(), 'responses', String(status)];
      const schema = {$ref: `openapi.json#/${pointer(...at, 'content', type, 'schema')}`};
      this.validators.set(key, this.ajv.compile(schema));
    }
    let body;
    try {
      body = type === 'text/plain' ? text : JSON.parse(text);
    } catch {
      return this.violations.push(`${what}: body is not JSON: ${text.slice(0, 200)}`);
    }
    const validate = this.validators.get(key);
    if (!validate(body)) this.violations.push(`${what}: ${this.ajv.errorsText(validate.errors)}; body ${text.slice(0, 300)}`);
  }

  // A fetch that checks each answer from `base` before handing it back.
  wrap(fetchImpl, base) {
    return async (input, init = {}) => {
      const response = await fetchImpl(input, init);
      const url = typeof input === 'string' ? input : input.url;
      if (url.startsWith(base)) {
        const text = await response.clone().text();
        this.check(init.method ?? 'GET', url, response.status, response.headers.get('content-type'), text);
      }
      return response;
    };
  }
}
