using MtaStsReporting.Daemon.Hosting;

return await DaemonApp.MainAsync(args);
