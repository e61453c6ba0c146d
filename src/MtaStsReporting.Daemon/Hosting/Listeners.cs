using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace MtaStsReporting.Daemon.Hosting;

/// <summary>
/// The daemon's listeners: the gRPC API on <c>--urls</c> or <c>Grpc:Urls</c> (cleartext HTTP/2,
/// h2c), the same API as HTTP/1.1 JSON on <c>HttpApi:Url</c>, and
/// when enabled the HTTPS endpoint for reports POSTed to <c>rua=https:</c> URIs (HTTP/1.1 and
/// HTTP/2). Both are set up here because Kestrel ignores <c>urls</c> once any endpoint is
/// configured in code.
/// </summary>
public sealed partial class Listeners
{
    private readonly List<ListenOptions> _grpc = [];
    private ListenOptions? _ingestion;
    private ListenOptions? _http;

    /// <summary>Where the gRPC API listens (real ports once started).</summary>
    public IReadOnlyList<string> GrpcUrls => _grpc.Select(l => Url("http", l)).ToList();

    /// <summary>Where the HTTP/JSON API listens, when enabled (real port once started).</summary>
    public string? HttpApiUrl => _http is null ? null : Url("http", _http);

    /// <summary>Where reports may be POSTed, when enabled (real port once started).</summary>
    public string? IngestionUrl { get; private set; }

    /// <summary>The local port of the ingestion listener, to keep its route off the gRPC port.</summary>
    public int? IngestionPort => (_ingestion?.EndPoint as IPEndPoint)?.Port;

    private bool _ingestionTls;

    /// <summary>Sets the listeners up from configuration; a bad URL throws a message naming the setting.</summary>
    public void Configure(KestrelServerOptions kestrel, string? urls, IConfiguration configuration)
    {
        // Without keys every caller is an admin: only safe while nobody but this host can connect.
        // Read through the same binding as the rest of the daemon, so the setting means one thing.
        var open = (configuration.GetSection(Security.SecurityOptions.Section).Get<Security.SecurityOptions>()?.Authentication
            ?? Security.AuthenticationMode.None) == Security.AuthenticationMode.None;
        void RequireLoopbackIfOpen(IPAddress? address, string setting, string url)
        {
            if (open && (address is null || !IPAddress.IsLoopback(address)))
            {
                throw new OptionsValidationFailure($"{setting}: '{url}' is not a loopback address; set Security:Authentication=ApiKeys (and create keys) before listening there.");
            }
        }

        urls = string.IsNullOrWhiteSpace(urls) ? "http://127.0.0.1:50051" : urls;
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (scheme, address, port) = Parse(url, "urls (Grpc:Urls)");
            if (scheme != "http")
            {
                throw new OptionsValidationFailure($"urls: '{url}': the gRPC listener speaks cleartext HTTP/2 (h2c); put TLS in front of it, or use http://.");
            }

            RequireLoopbackIfOpen(address, "urls (Grpc:Urls)", url);
            _grpc.Add(Listen(kestrel, address, port, l => l.Protocols = HttpProtocols.Http2));
        }

        // The same API as HTTP/1.1 + JSON (gRPC JSON transcoding), so that plain curl works:
        // Kestrel cannot offer HTTP/1.1 and prior-knowledge HTTP/2 on one cleartext port.
        var httpApi = configuration["HttpApi:Url"];
        if (!string.IsNullOrWhiteSpace(httpApi))
        {
            var (scheme, address, port) = Parse(httpApi, "HttpApi:Url");
            if (scheme != "http")
            {
                throw new OptionsValidationFailure($"HttpApi:Url: '{httpApi}' must be http://; put TLS in front of it.");
            }

            RequireLoopbackIfOpen(address, "HttpApi:Url", httpApi);
            _http = Listen(kestrel, address, port, l => l.Protocols = HttpProtocols.Http1);
        }

        var https = configuration.GetSection(IngestionOptions.Section + ":Https").Get<HttpsIngestionOptions>() ?? new HttpsIngestionOptions();
        if (!https.Enabled)
        {
            return;
        }

        var (ingestionScheme, ingestionAddress, ingestionPort) = Parse(https.Url, "Ingestion:Https:Url");
        X509Certificate2? certificate = null;
        if (ingestionScheme == "https")
        {
            if (https.CertificateFile is null || https.KeyFile is null)
            {
                throw new OptionsValidationFailure("Ingestion:Https:CertificateFile and KeyFile are required for an https:// Ingestion:Https:Url.");
            }

            certificate = X509Certificate2.CreateFromPemFile(https.CertificateFile, https.KeyFile);
        }

        _ingestionTls = certificate is not null;
        _ingestion = Listen(kestrel, ingestionAddress, ingestionPort, l =>
        {
            l.Protocols = certificate is null ? HttpProtocols.Http1 : HttpProtocols.Http1AndHttp2;
            if (certificate is not null)
            {
                l.UseHttps(certificate);
            }
        });
    }

    /// <summary>Reads the bound ports once the server has started.</summary>
    public void OnStarted() => IngestionUrl = _ingestion is null ? null : Url(_ingestionTls ? "https" : "http", _ingestion);

    private static ListenOptions Listen(KestrelServerOptions kestrel, IPAddress? address, int port, Action<ListenOptions> configure)
    {
        ListenOptions? options = null;
        void Capture(ListenOptions l)
        {
            configure(l);
            options = l;
        }

        if (address is null)
        {
            kestrel.ListenAnyIP(port, Capture);
        }
        else
        {
            kestrel.Listen(address, port, Capture);
        }

        return options!;
    }

    private static string Url(string scheme, ListenOptions l) => l.EndPoint is IPEndPoint ip
        ? $"{scheme}://{(ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip.Address}]" : ip.Address.ToString())}:{ip.Port}"
        : l.EndPoint.ToString()!;

    private static (string Scheme, IPAddress? Address, int Port) Parse(string url, string setting)
    {
        var m = UrlPattern().Match(url);
        if (!m.Success || !int.TryParse(m.Groups["port"].Value, out var port) || port > 65535)
        {
            throw new OptionsValidationFailure($"{setting}: '{url}' is not scheme://address:port (address an IP, 'localhost' or '*').");
        }

        var host = m.Groups["host"].Value.Trim('[', ']');
        IPAddress? address = host switch
        {
            "*" or "+" or "0.0.0.0" => null,
            "localhost" => IPAddress.Loopback,
            _ => IPAddress.TryParse(host, out var ip) ? ip : throw new OptionsValidationFailure($"{setting}: '{url}' must name an IP address, 'localhost' or '*'."),
        };
        return (m.Groups["scheme"].Value.ToLowerInvariant(), address, port);
    }

    [GeneratedRegex(@"^(?<scheme>https?)://(?<host>\[[^\]]+\]|[^:/\[\]]+):(?<port>\d+)/?$", RegexOptions.IgnoreCase)]
    private static partial Regex UrlPattern();
}

/// <summary>A setting that cannot be used; the message names it.</summary>
public sealed class OptionsValidationFailure(string message) : Exception(message);
