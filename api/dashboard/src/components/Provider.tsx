// GitHub's and GitLab's ids are separate spaces, so a run's page address says whose run it is,
// and every list that mixes them marks each row's provider.
import type { components } from 'faultline-openapi';

export type Provider = components['schemas']['Provider'];

export const providerName = (provider: Provider | null | undefined) => (provider === 'gitlab' ? 'GitLab' : 'GitHub');

/** The dashboard's page of a run: GitLab's pipeline 7 is /runs/7?provider=gitlab. */
export function runHref(runId: number, provider: Provider | null | undefined): string {
  return provider === 'gitlab' ? `/runs/${runId}?provider=gitlab` : `/runs/${runId}`;
}

/** The word "GitHub" or "GitLab" beside a repository's name. */
export function ProviderMark({ provider }: { provider: Provider | null | undefined }) {
  return (
    <span class="tag muted small" data-provider={provider ?? 'github'}>
      {providerName(provider)}
    </span>
  );
}
