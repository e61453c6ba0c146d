namespace MtaStsReporting.Daemon.Hosting;

/// <summary>How the executable's own commands (readiness, forward) reach a daemon's gRPC API.</summary>
public static class ClientChannels
{
    /// <summary>The system's trust, or exactly the CAs of a PEM file (a private CA for the daemon's certificate).</summary>
    public static SocketsHttpHandler Handler(string? caFile)
    {
        var handler = new SocketsHttpHandler();
        if (caFile is null)
        {
            return handler;
        }

        var roots = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
        roots.ImportFromPemFile(caFile);
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            certificate is System.Security.Cryptography.X509Certificates.X509Certificate2 server
            && !errors.HasFlag(System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch)
            && Security.PrivateTrust.ChainsTo(server, roots, chain, usage: null, out string? _);
        return handler;
    }
}
