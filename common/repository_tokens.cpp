#include "common/repository_tokens.hpp"

#include "common/log.hpp"

namespace faultline {

std::optional<RepositoryToken> RepositoryTokens::find(soci::session& sql,
                                                      std::int64_t repository_id) const {
  const long long id = repository_id;
  std::string sealed, source, name;
  soci::indicator sealed_ind = soci::i_null, source_ind = soci::i_null;
  sql << "SELECT t.token_ciphertext, t.source, r.full_name FROM repository_tokens t"
         " JOIN repositories r ON r.id = t.repository_id WHERE t.repository_id = :id",
      soci::use(id, "id"), soci::into(sealed, sealed_ind), soci::into(source, source_ind),
      soci::into(name);
  if (!sql.got_data() || sealed_ind == soci::i_null)
    return open("", "", name);
  return open(sealed, source, name);
}

std::optional<RepositoryToken> RepositoryTokens::open(const std::string& sealed,
                                                      const std::string& source,
                                                      const std::string& repository) const {
  if (!sealed.empty()) {
    if (auto token = secrets_.open(sealed))
      return RepositoryToken{std::move(*token), source};
    log::warn(
        "cannot decrypt a repository's token; falling back",
        {{"repository", repository}, {"source", source}, {"key_id", SecretBox::key_id_of(sealed)}});
  }
  if (fallback_.empty())
    return std::nullopt;
  return RepositoryToken{fallback_, "default"};
}

}  // namespace faultline
