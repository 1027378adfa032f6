import type { components } from 'faultline-openapi';
import { TableScroll } from './TableScroll';
import { Time } from './Time';
import { Link } from '../router';

type Signature = components['schemas']['FailureSignature'];

export function SignatureTable({ items }: { items: Signature[] }) {
  return (
    <TableScroll label="Failure signatures, most frequent first">
      <table>
        <caption class="sr-only">Failure signatures, most frequent first</caption>
        <thead>
          <tr>
            <th scope="col">Error</th>
            <th scope="col">Category</th>
            <th scope="col">Failures</th>
            <th scope="col">Repositories</th>
            <th scope="col">Open incidents</th>
            <th scope="col">Last seen</th>
          </tr>
        </thead>
        <tbody>
          {items.map((s) => (
            <tr key={s.signature} data-signature={s.signature}>
              <td>
                <Link href={`/analytics?signature=${s.signature}`} class="signature-link">
                  <code class="wrap">{s.normalized_error}</code>
                </Link>
                <div class="muted small">
                  e.g. {s.example.repository}, job {s.example.job}
                </div>
              </td>
              <td>{s.category}</td>
              <td>{s.occurrences}</td>
              <td>{s.repositories}</td>
              <td>{s.open_incidents}</td>
              <td>
                <Time value={s.last_seen} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}
