using System.Security.Cryptography;
using System.Text;
using MtaStsReporting.Domain.Access;
using MtaStsReporting.Persistence.Schema;
using MtaStsReporting.Persistence.Store;

namespace MtaStsReporting.Persistence.Security;

/// <summary>A key as listed (never with its secret).</summary>
public sealed record ApiKeyInfo(string Id, string Name, Role Role, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>
/// API keys, stored hashed: a key is <c>msr_&lt;id&gt;_&lt;secret&gt;</c>; the store keeps the id and
/// the SHA-256 of the secret, so a copy of the database does not give anyone a key. The secret is
/// 256 random bits, so a plain hash (no slow KDF) is enough.
/// </summary>
public sealed class ApiKeyStore(ReportingStore store)
{
    private const string Prefix = "msr_";

    /// <summary>Creates a key; the returned string is shown once and never stored.</summary>
    public async Task<(ApiKeyInfo Info, string Key)> CreateAsync(string name, Role role, CancellationToken cancellationToken)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var created = await store.WriteAsync(new WriteUnit<DateTimeOffset>(s =>
        {
            s.Execute(ApiKeysTable.Insert, id, name, (int)role, Hash(secret), s.Now.ToUnixTimeMilliseconds());
            return DateTimeOffset.FromUnixTimeMilliseconds(s.Now.ToUnixTimeMilliseconds());
        }), cancellationToken);
        return (new ApiKeyInfo(id, name, role, created, null), $"{Prefix}{id}_{secret}");
    }

    /// <summary>Every key, revoked ones included, oldest first.</summary>
    public async Task<List<ApiKeyInfo>> ListAsync(CancellationToken cancellationToken)
    {
        var keys = new List<ApiKeyInfo>();
        await using var connection = await store.OpenReaderAsync(cancellationToken);
        await using var command = Statement.Query(connection, $"SELECT {ApiKeysTable.Columns} FROM api_keys ORDER BY created_at, id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(Read(reader).Info);
        }

        return keys;
    }

    /// <summary>Revokes a key; false when there is no such key. Revoking twice keeps the first time.</summary>
    public Task<bool> RevokeAsync(string id, CancellationToken cancellationToken) =>
        store.WriteAsync(new WriteUnit<bool>(s => s.Execute(ApiKeysTable.Revoke, s.Now.ToUnixTimeMilliseconds(), id) == 1), cancellationToken);

    /// <summary>The role a presented key grants, or null for an unknown, malformed or revoked key.</summary>
    public async Task<ApiKeyInfo?> AuthenticateAsync(string presented, CancellationToken cancellationToken)
    {
        if (!presented.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var parts = presented[Prefix.Length..].Split('_', 2);
        if (parts.Length != 2)
        {
            return null;
        }

        await using var connection = await store.OpenReaderAsync(cancellationToken);
        await using var command = Statement.Query(connection, $"SELECT {ApiKeysTable.Columns} FROM api_keys WHERE id = @id", parts[0]);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var (info, secretHash) = Read(reader);
        if (info.RevokedAt is not null)
        {
            return null;
        }

        // Constant-time comparison: the hash of a guess must not leak how close it came.
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(secretHash), Encoding.ASCII.GetBytes(Hash(parts[1]))) ? info : null;
    }

    private static (ApiKeyInfo Info, string SecretHash) Read(System.Data.Common.DbDataReader reader) =>
        (new ApiKeyInfo(reader.GetString(0), reader.GetString(1), (Role)reader.Int64(2), reader.Instant(4),
            reader.OptionalInstant(5)), reader.GetString(3));

    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}
