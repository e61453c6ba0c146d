using System.Security.Cryptography;
using System.Text;

namespace MtaStsReporting.Domain.TlsRpt;

/// <summary>
/// A short, stable identity for a piece of content (a policy, a failure detail), so that
/// aggregate rows can be keyed on one column instead of many nullable ones. Strings are
/// length-prefixed, so no two different inputs share an encoding.
/// </summary>
internal static class ContentKey
{
    public static string Of(params IEnumerable<string?>[] parts)
    {
        var sb = new StringBuilder();
        foreach (var part in parts)
        {
            sb.Append('[');
            foreach (var s in part)
            {
                if (s is null)
                {
                    sb.Append("-;");
                }
                else
                {
                    sb.Append(s.Length).Append(':').Append(s).Append(';');
                }
            }

            sb.Append(']');
        }

        // 128 bits of SHA-256: collisions are out of reach, and the key stays short in indexes.
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString()), hash);
        return Convert.ToHexStringLower(hash[..16]);
    }
}
