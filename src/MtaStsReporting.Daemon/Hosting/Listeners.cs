using Microsoft.Extensions.Options;
using MtaStsReporting.Daemon.Ingestion;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace MtaStsReporting.Daemon.Hosting;

/// <summary>
/// The daemon's listeners: the gRPC API on <c>--urls</c> or <c>Grpc:Urls</c> (HTTP/2: h2c, or TLS
/// with <c>Grpc:CertificateFile</c>/<c>KeyFile</c>), the same API as HTTP/1.1 JSON on
/// <c>HttpApi:Url</c>, and when enabled the HTTPS endpoint for reports POSTed to
/// <c>rua=https:</c> URIs (HTTP/1.1 and HTTP/2). All are set up here because Kestrel ignores
/// <c>urls</c> once any endpoint is configured in code. Certificates are read again when their
/// files change; client certificates (mTLS) are asked for on the TLS API listeners when
/// <c>Security:ClientCertificates</c> maps any.
/// </summary>
public sealed partial class Listeners
{
    private readonly List<(ListenOptions Options, bool Tls)> _grpc = [];
    private ListenOptions? _ingestion;
    private ListenOptions? _policies;
    private (ListenOptions Options, bool Tls)? _http;

    /// <summary>Where the gRPC API listens (real ports once started).</summary>
    public IReadOnlyList<string> GrpcUrls => _grpc.Select(l => Url(l.Tls ? "https" : "http", l.Options)).ToList();

    /// <summary>Where the HTTP/JSON API listens, when enabled (real port once started).</summary>
    public string? HttpApiUrl => _http is { } h ? Url(h.Tls ? "https" : "http", h.Options) : null;

    /// <summary>The local port of the HTTP/JSON API listener, which also serves the dashboard.</summary>
    public int? HttpApiPort => (_http?.Options.EndPoint as IPEndPoint)?.Port;

    /// <summary>The local port of the MTA-STS policy listener, when enabled.</summary>
    public int? PolicyHostingPort => (_policies?.EndPoint as IPEndPoint)?.Port;

    /// <summary>Where the hosted policies are served, when enabled (real port once started).</summary>
    public string? PolicyHostingUrl { get; private set; }

    /// <summary>Where reports may be POSTed, when enabled (real port once started).</summary>
    public string? IngestionUrl { get; private set; }

    /// <summary>The local port of the ingestion listener, to keep its route off the gRPC port.</summary>
    public int? IngestionPort => (_ingestion?.EndPoint as IPEndPoint)?.Port;

    /// <summary>The API listeners' certificate, when they speak TLS (tests force a reload through it).</summary>
    public Security.ReloadingCertificate? ApiCertificate { get; private set; }

    /// <summary>The upload listener's certificate, when it speaks TLS.</summary>
    public Security.ReloadingCertificate? IngestionCertificate { get; private set; }

    /// <summary>Sets the listeners up from configuration; a bad URL throws a message naming the setting.</summary>
    public void Configure(KestrelServerOptions kestrel, string? urls, IConfiguration configuration)
    {
        var logger = kestrel.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("MtaStsReporting.Listeners");
        var grpc = configuration.GetSection(GrpcListenerOptions.Section).Get<GrpcListenerOptions>(o => o.ErrorOnUnknownConfiguration = true) ?? new GrpcListenerOptions();

        // Without keys every caller is an admin: only safe while nobody but this host can connect.
        // Read through the same binding as the rest of the daemon, so the setting means one thing.
        var security = configuration.GetSection(Security.SecurityOptions.Section).Get<Security.SecurityOptions>() ?? new Security.SecurityOptions();
        var open = security.Authentication == Security.AuthenticationMode.None;
        void CheckExposure(IPAddress? address, bool tls, string setting, string url)
        {
            if (address is not null && IPAddress.IsLoopback(address))
            {
                return;
            }

            if (open)
            {
                throw new OptionsValidationFailure($"{setting}: '{url}' is not a loopback address; set Security:Authentication=ApiKeys (and create keys) before listening there.");
            }

            // Keys and reports in cleartext can be read and replayed by anyone on the path.
            if (!tls && !grpc.AllowCleartext)
            {
                throw new OptionsValidationFailure($"{setting}: '{url}' is cleartext on a non-loopback address; use https:// with Grpc:CertificateFile and Grpc:KeyFile, or set Grpc:AllowCleartext=true (a TLS proxy in front).");
            }
        }

        // An API listener (gRPC or HTTP/JSON): cleartext or TLS with the API certificate, checked
        // for exposure the same way.
        var clients = kestrel.ApplicationServices.GetRequiredService<Security.ClientCertificateAuthority>();
        var alpnRefusals = new Security.LogThrottle(20, kestrel.ApplicationServices.GetRequiredService<TimeProvider>());
        (ListenOptions Options, bool Tls) ApiListener(string url, string setting, HttpProtocols protocols, SslApplicationProtocol alpn)
        {
            var (scheme, address, port) = Parse(url, setting);
            var tls = scheme == "https";
            CheckExposure(address, tls, setting, url);
            if (tls && (grpc.CertificateFile is null || grpc.KeyFile is null))
            {
                throw new OptionsValidationFailure($"{setting}: '{url}' is https://; Grpc:CertificateFile and Grpc:KeyFile are required.");
            }

            var certificate = tls ? ApiCertificate ??= Security.ReloadingCertificate.Load(grpc.CertificateFile!, grpc.KeyFile!, "Grpc:CertificateFile", logger) : null;
            return (Listen(kestrel, address, port, l =>
            {
                l.Protocols = protocols;
                if (certificate is not null)
                {
                    UseTls(l, certificate, [alpn], clients);
                    if (alpn == SslApplicationProtocol.Http2)
                    {
                        RequireHttp2(l, logger, alpnRefusals);
                    }
                }
            }), tls);
        }

        urls = string.IsNullOrWhiteSpace(urls) ? grpc.Urls : urls;
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            _grpc.Add(ApiListener(url, "urls (Grpc:Urls)", HttpProtocols.Http2, SslApplicationProtocol.Http2));
        }

        // The same API as HTTP/1.1 + JSON (gRPC JSON transcoding), so that plain curl works:
        // Kestrel cannot offer HTTP/1.1 and prior-knowledge HTTP/2 on one cleartext port.
        var httpApi = configuration["HttpApi:Url"];
        if (!string.IsNullOrWhiteSpace(httpApi))
        {
            _http = ApiListener(httpApi, "HttpApi:Url", HttpProtocols.Http1, SslApplicationProtocol.Http11);
        }

        ConfigurePolicyHosting(kestrel, logger);

        var https = configuration.GetSection(IngestionOptions.Section + ":Https").Get<HttpsIngestionOptions>() ?? new HttpsIngestionOptions();
        if (!https.Enabled)
        {
            return;
        }

        // Reporters on the internet post here without credentials (RFC 8460 §5.4): no keys, no
        // client certificates; the same limits and checks as every other report source.
        var (ingestionScheme, ingestionAddress, ingestionPort) = Parse(https.Url, "Ingestion:Https:Url");
        if (ingestionScheme == "https")
        {
            if (https.CertificateFile is null || https.KeyFile is null)
            {
                throw new OptionsValidationFailure("Ingestion:Https:CertificateFile and KeyFile are required for an https:// Ingestion:Https:Url.");
            }

            IngestionCertificate = Security.ReloadingCertificate.Load(https.CertificateFile, https.KeyFile, "Ingestion:Https:CertificateFile", logger);
        }

        _ingestion = Listen(kestrel, ingestionAddress, ingestionPort, l =>
        {
            l.Protocols = IngestionCertificate is null ? HttpProtocols.Http1 : HttpProtocols.Http1AndHttp2;
            if (IngestionCertificate is not null)
            {
                UseTls(l, IngestionCertificate, [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11], clients: null);
            }
        });
    }

    /// <summary>
    /// The MTA-STS policy listener (PolicyHosting:Url): TLS only, the certificate chosen by the
    /// name the client asked for, HTTP/1.1 and HTTP/2. It serves public files to anyone, so it
    /// is not held to the API's exposure rules. Every hosted host name must be covered by a
    /// certificate: a sender would refuse the policy otherwise (RFC 8461 §3.3).
    /// </summary>
    private void ConfigurePolicyHosting(KestrelServerOptions kestrel, ILogger logger)
    {
        // The options as bound and validated at start, and the policies read from them once.
        var options = kestrel.ApplicationServices.GetRequiredService<IOptions<PolicyHosting.PolicyHostingOptions>>().Value;
        if (!options.Enabled)
        {
            return;
        }

        var (_, address, port) = Parse(options.Url!, "PolicyHosting:Url");
        var certificates = kestrel.ApplicationServices.GetRequiredService<PolicyHosting.PolicyCertificates>();
        // The domains of the settings are checked here, before anything is stored; a domain added
        // through the API is checked when it is added.
        if (certificates.Uncovered(PolicyHosting.HostedPolicies.Read(options.Domains, out _).Hosts) is { } uncovered)
        {
            throw new OptionsValidationFailure($"PolicyHosting:Certificates: no certificate names {uncovered}; senders would refuse its policy (RFC 8461 §3.3).");
        }

        _policies = Listen(kestrel, address, port, l =>
        {
            l.Protocols = HttpProtocols.Http1AndHttp2;
            l.UseHttps(new TlsHandshakeCallbackOptions
            {
                OnConnection = context => ValueTask.FromResult(new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = certificates.Select(context.ClientHelloInfo.ServerName),
                    ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                }),
            });
        });
    }

    /// <summary>
    /// TLS with the certificate as it is at each handshake (so that a renewal needs no restart),
    /// and, where client certificates are mapped, a request for one: none is fine (API keys then),
    /// one that is not ours fails the handshake.
    /// </summary>
    private static void UseTls(ListenOptions listen, Security.ReloadingCertificate certificate, List<SslApplicationProtocol> protocols, Security.ClientCertificateAuthority? clients)
    {
        var askForClientCertificates = clients is { Enabled: true };
        listen.UseHttps(new TlsHandshakeCallbackOptions
        {
            OnConnection = _ => ValueTask.FromResult(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = certificate.Current,
                ApplicationProtocols = protocols,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                ClientCertificateRequired = askForClientCertificates,
                RemoteCertificateValidationCallback = askForClientCertificates ? (_, cert, _, _) => clients!.Validate(cert) : null,
            }),
        });
    }

    /// <summary>
    /// A TLS client that did not negotiate HTTP/2 (no ALPN, or only http/1.1) on a gRPC listener
    /// is closed here, with one throttled line that says so; Kestrel would otherwise log an error
    /// for each such connection, and anyone can open a thousand of them in two seconds.
    /// </summary>
    private static void RequireHttp2(ListenOptions listen, ILogger logger, Security.LogThrottle throttle) =>
        listen.Use(next => context =>
        {
            var alpn = context.Features.Get<Microsoft.AspNetCore.Server.Kestrel.Core.Features.ITlsApplicationProtocolFeature>()?.ApplicationProtocol ?? default;
            if (alpn.Span.SequenceEqual(SslApplicationProtocol.Http2.Protocol.Span))
            {
                return next(context);
            }

            if (throttle.TryEnter(out var heldBack))
            {
                Security.TlsLog.Http2NotNegotiated(logger, context.RemoteEndPoint?.ToString() ?? "?", System.Text.Encoding.ASCII.GetString(alpn.Span), heldBack);
            }

            return Task.CompletedTask; // returning closes the connection
        });

    /// <summary>
    /// The setting that chose the listener Kestrel could not bind (its message names the
    /// address), to tell the user what to change: <c>--urls</c>, <c>--HttpApi:Url</c> or
    /// <c>--Ingestion:Https:Url</c>; null when none of them has that port.
    /// </summary>
    public string? SettingFor(int port)
    {
        static bool Has(ListenOptions? l, int p) => (l?.EndPoint as IPEndPoint)?.Port == p;
        return _grpc.Any(g => Has(g.Options, port)) ? "--urls"
            : Has(_http?.Options, port) ? "--HttpApi:Url"
            : Has(_ingestion, port) ? "--Ingestion:Https:Url"
            : Has(_policies, port) ? "--PolicyHosting:Url"
            : null;
    }

    /// <summary>
    /// Before the host starts: the first fixed address that another process already listens on,
    /// with the setting that chose it, or null. Tried with a socket bound and closed at once, so
    /// that a taken port is one line of ours rather than the host's failure log; a port taken
    /// between this look and Kestrel's bind is still reported by the catch around the start.
    /// </summary>
    public (string Url, string Setting)? FindTaken()
    {
        var all = _grpc.Select(g => (g.Options, g.Tls ? "https" : "http"))
            .Concat(_http is { } h ? [(h.Options, h.Tls ? "https" : "http")] : [])
            .Concat(_ingestion is { } i ? [(i, IngestionCertificate is null ? "http" : "https")] : [])
            .Concat(_policies is { } p ? [(p, "https")] : []);
        foreach (var (options, scheme) in all)
        {
            if (options.EndPoint is not IPEndPoint { Port: > 0 } endpoint)
            {
                continue;
            }

            using var probe = new System.Net.Sockets.Socket(endpoint.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            // As Kestrel binds: connections of a daemon just stopped (TIME_WAIT) do not count; a listener does.
            probe.SetSocketOption(System.Net.Sockets.SocketOptionLevel.Socket, System.Net.Sockets.SocketOptionName.ReuseAddress, true);
            try
            {
                probe.Bind(endpoint);
            }
            catch (System.Net.Sockets.SocketException ex) when (ex.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse)
            {
                return (Url(scheme, options), SettingFor(endpoint.Port) ?? "--urls");
            }
        }

        return null;
    }

    /// <summary>Reads the bound ports once the server has started.</summary>
    public void OnStarted()
    {
        IngestionUrl = _ingestion is null ? null : Url(IngestionCertificate is null ? "http" : "https", _ingestion);
        PolicyHostingUrl = _policies is null ? null : Url("https", _policies);
    }

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

/// <summary>The gRPC listener. Section <c>Grpc</c>.</summary>
public sealed class GrpcListenerOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Grpc";

    /// <summary>Where to listen (';'-separated); <c>--urls</c> overrides. https:// needs the certificate files.</summary>
    public string Urls { get; set; } = "http://127.0.0.1:50051";

    /// <summary>PEM certificate (chain) for https:// API listeners (gRPC and HttpApi), read again when it changes.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>PEM private key for https:// API listeners, read again when it changes.</summary>
    public string? KeyFile { get; set; }

    /// <summary>Allow cleartext API listeners on non-loopback addresses (behind a TLS proxy).</summary>
    public bool AllowCleartext { get; set; }
}

/// <summary>A setting that cannot be used; the message names it.</summary>
public sealed class OptionsValidationFailure(string message) : Exception(message);

/// <summary>A listener's address is taken by another process: one line naming the address and the setting to change.</summary>
public sealed class ListenerInUseException(string message, Exception? inner) : Exception(message, inner);
