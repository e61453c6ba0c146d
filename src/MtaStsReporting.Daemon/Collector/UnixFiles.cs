using System.Runtime.InteropServices;

namespace MtaStsReporting.Daemon.Collector;

/// <summary>
/// The two libc calls .NET has no API for: a file's group (so that Postfix's processes can
/// write to the socket) and a group's id by name (through NSS, as <c>chgrp</c> does).
/// </summary>
internal static partial class UnixFiles
{
    /// <summary>Gives <paramref name="path"/> to group <paramref name="group"/> (a name or a number); the error names the cause.</summary>
    public static string? SetGroup(string path, string group)
    {
        int gid;
        if (CollectorOptions.NumericGroup(group) is { } number)
        {
            gid = number;
        }
        else
        {
            var entry = getgrnam(group);
            if (entry == IntPtr.Zero)
            {
                return $"the group '{group}' does not exist";
            }

            // struct group { char *gr_name; char *gr_passwd; gid_t gr_gid; char **gr_mem; }
            gid = Marshal.ReadInt32(entry, 2 * IntPtr.Size);
        }

        // -1 leaves the owner as it is.
        return chown(path, -1, gid) == 0 ? null : $"chown to group '{group}' failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}";
    }

    /// <summary>True when <paramref name="path"/> is a socket file (lstat's file type), false for anything else or nothing.</summary>
    public static bool IsSocket(string path)
    {
        // struct stat differs by architecture; st_mode sits after st_dev, st_ino and (on x64)
        // a 64-bit st_nlink. The buffer is larger than any struct stat.
        var modeOffset = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 24,
            Architecture.Arm64 => 16,
            _ => -1,
        };
        var buffer = new byte[512];
        if (modeOffset < 0 || lstat(path, buffer) != 0)
        {
            return false;
        }

        const int FileTypeMask = 0xF000, Socket = 0xC000;
        return (BitConverter.ToInt32(buffer, modeOffset) & FileTypeMask) == Socket;
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lstat(string path, byte[] buffer);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int chown(string path, int owner, int group);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr getgrnam(string name);
}
