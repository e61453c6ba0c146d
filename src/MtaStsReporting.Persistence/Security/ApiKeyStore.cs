using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using MtaStsReporting.Persistence.Schema;

namespace MtaStsReporting.Persistence.Security;

/// <summary>Who may do what: relays write outcomes, readers query, admins do everything.</summary>
public enum Role
{
    /// <summary>Writes relay outcomes only.</summary>
    Relay = 1,

    /// <summary>Reads: queries and readiness.</summary>
    Reader = 2,

    /// <summary>Everything, including imports and key management.</summary>
    Admin = 3,
}

/// <summary>A key as listed (never with its secret).</summary>
public sealed record ApiKeyInfo(string Id, string Name, Role Role, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>
/// API keys, stored hashed: a key is <c>msr_&lt;id&gt;_&lt;secret&gt;</c>; the store keeps the id and
/// the SHA-256 of the secret, so a copy of the database does not give anyone a key. The secret is
/// 256 random bits, so a plain hash (no slow KDF) is enough.
/// </summary>
public sealed class ApiKeyStore(string connectionString, TimeProvider time)
{
    private const string Prefix = "msr_";

    /// <summary>Creates a key; the returned string is shown once and never stored.</summary>
    public async Task<(ApiKeyInfo Info, string Key)> CreateAsync(string name, Role role, CancellationToken cancellationToken)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var row = new ApiKeyRow { Id = id, Name = name, Role = (int)role, SecretHash = Hash(secret), CreatedAt = time.GetUtcNow() };
        await using var db = Open();
        db.ApiKeys.Add(row);
        await db.SaveChangesAsync(cancellationToken);
        return (Info(row), $"{Prefix}{id}_{secret}");
    }

    /// <summary>Every key, revoked ones included.</summary>
    public async Task<List<ApiKeyInfo>> ListAsync(CancellationToken cancellationToken)
    {
        await using var db = Open();
        return (await db.ApiKeys.AsNoTracking().ToListAsync(cancellationToken)).OrderBy(k => k.CreatedAt).Select(Info).ToList();
    }

    /// <summary>Revokes a key; false when there is no such key.</summary>
    public async Task<bool> RevokeAsync(string id, CancellationToken cancellationToken)
    {
        await using var db = Open();
        var row = await db.ApiKeys.SingleOrDefaultAsync(k => k.Id == id, cancellationToken);
        if (row is null)
        {
            return false;
        }

        row.RevokedAt ??= time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

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

        await using var db = Open();
        var row = await db.ApiKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Id == parts[0], cancellationToken);
        if (row is null || row.RevokedAt is not null)
        {
            return null;
        }

        // Constant-time comparison: the hash of a guess must not leak how close it came.
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(row.SecretHash), Encoding.ASCII.GetBytes(Hash(parts[1]))) ? Info(row) : null;
    }

    private ReportingDbContext Open() => new(SqliteDatabase.ContextOptions(connectionString));

    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static ApiKeyInfo Info(ApiKeyRow row) => new(row.Id, row.Name, (Role)row.Role, row.CreatedAt, row.RevokedAt);
}
