import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.ServerVersion;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.wire.message.MongoMessage;
import de.bwaldvogel.mongo.wire.message.MongoQuery;
import io.netty.channel.Channel;

import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreTool;

/**
 * Roster's launcher for mongo-java-server (a MongoDB wire-protocol server on the JVM).
 *
 * <pre>
 * java -cp classes:lib/* RosterMongo [--host 127.0.0.1] [--port 0] (--data DIR | --memory)
 *                                    [--threads 1] [--exit-on-stdin-close]
 * </pre>
 *
 * Prints one line {@code LISTENING host:port} on stdout once the socket is bound. Everything
 * else (logging, errors) goes to stderr.
 *
 * Three settings matter for correctness and were measured (see README.md):
 * <ul>
 * <li>one netty worker thread: every command runs on the same thread, one after the other, so
 * concurrent {@code $inc}s and conditional updates cannot interleave;</li>
 * <li>H2 MVStore opened with auto-commit off and committed after every message, so that an
 * acknowledged write is on disk before the reply is sent (survives {@code kill -9});</li>
 * <li>server version 5.0 (wire version 8), which the MongoDB Node driver 6.x accepts.</li>
 * </ul>
 * Two more keep the H2 file small: dead chunks are reused at once (retention time 0) and the
 * store is fully compacted when the server stops normally.
 */
public final class RosterMongo {

    /** Name of the MVStore file inside the data directory. */
    static final String STORE_FILE = "embedded-mongo.mv.db";

    private RosterMongo() {
    }

    public static void main(String[] args) {
        // slf4j-simple reads these when the first logger is created, so set them before any
        // mongo-java-server class is touched. The wire handler logs every failed command
        // (including ordinary duplicate-key errors) at ERROR with a stack trace; the client
        // gets the error anyway, so silence it.
        setDefaultProperty("org.slf4j.simpleLogger.logFile", "System.err");
        setDefaultProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        setDefaultProperty("org.slf4j.simpleLogger.log.de.bwaldvogel.mongo.wire", "off");
        // Every createIndexes of a compound secondary index warns that it is ignored (the
        // embedded server serves lookups from unique indexes only); once per index is noise.
        setDefaultProperty("org.slf4j.simpleLogger.log.de.bwaldvogel.mongo.backend.AbstractMongoDatabase", "error");
        setDefaultProperty("org.slf4j.simpleLogger.showDateTime", "true");
        // "Closing N clients" at every shutdown is expected, not a warning.
        setDefaultProperty("org.slf4j.simpleLogger.log.de.bwaldvogel.mongo.MongoServer", "error");

        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("RosterMongo: " + e.getMessage());
            System.err.println("usage: RosterMongo [--host 127.0.0.1] [--port 0] (--data DIR | --memory)"
                + " [--threads 1] [--exit-on-stdin-close]");
            System.exit(2);
            return;
        }

        MongoBackend backend;
        try {
            backend = options.memory ? new RosterMemoryBackend() : openH2(options.dataDir);
        } catch (RuntimeException e) {
            // Typically "The file is locked": another server already runs on this data directory.
            System.err.println("RosterMongo: cannot open the data directory " + options.dataDir + ": " + e);
            System.exit(3);
            return;
        }
        backend.version(ServerVersion.MONGO_5_0);

        MongoServer server = new MongoServer(backend);
        try {
            // One boss thread and options.threads worker threads (0 = netty's default, 2 x cores).
            server.bind(new InetSocketAddress(options.host, options.port), 1, options.threads);
        } catch (RuntimeException e) {
            System.err.println("RosterMongo: cannot listen on " + options.host + ":" + options.port + ": " + e);
            backend.close();
            System.exit(4);
            return;
        }

        // Runs on SIGTERM / SIGINT and on System.exit: stops accepting clients, closes the open
        // connections, then closes the backend (for H2: commits and closes the MVStore).
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow, "roster-mongo-shutdown"));

        InetSocketAddress bound = server.getLocalAddress();
        System.out.println("LISTENING " + bound.getHostString() + ":" + bound.getPort());
        System.out.flush();

        if (options.exitOnStdinClose) {
            watchStdin();
        }
    }

    private static void setDefaultProperty(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    private static H2Backend openH2(File dataDir) {
        if (!dataDir.isDirectory() && !dataDir.mkdirs()) {
            throw new IllegalStateException("cannot create directory " + dataDir);
        }
        File storeFile = new File(dataDir, STORE_FILE);
        // Finishes or discards a full compaction (see CommittingH2Backend.close) cut short by a crash.
        MVStoreTool.compactCleanUp(storeFile.getAbsolutePath());
        MVStore store = new MVStore.Builder()
            .fileName(storeFile.getAbsolutePath())
            // No background writer. Its commits can land in the middle of a command (a document
            // written, its index entries not yet), and they come up to a second after the reply.
            // We commit after each message instead: every commit is a state between two commands.
            .autoCommitDisabled()
            .open();
        // Dead chunks may be overwritten at once. H2's default keeps them 45 s, so the file grows
        // by (write rate x 45 s): measured 2.2 GB under a sustained update load. Overwriting early
        // is safe against process crashes (every write reached the OS before the reply); like the
        // default it does not fsync, so it promises nothing against power loss.
        store.setRetentionTime(0);
        return new CommittingH2Backend(store);
    }

    /**
     * The parent (the Node process) keeps our stdin open as a pipe. When the parent exits, for
     * whatever reason including SIGKILL, the pipe is closed and the read returns EOF: then exit,
     * which runs the shutdown hook. A daemon thread, so it never keeps the JVM alive by itself.
     */
    private static void watchStdin() {
        Thread watcher = new Thread(() -> {
            InputStream in = System.in;
            byte[] buffer = new byte[256];
            try {
                while (in.read(buffer) >= 0) {
                    // ignore input; we only wait for EOF
                }
            } catch (IOException e) {
                // a broken pipe means the same as EOF
            }
            System.err.println("RosterMongo: stdin closed (parent process gone), shutting down");
            System.exit(0);
        }, "roster-mongo-stdin-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    /**
     * H2 backend that makes every acknowledged write durable: the MVStore is opened with
     * auto-commit off and committed after every wire message, before the reply is written.
     * With the default (background auto-commit every second), 300 acknowledged inserts followed
     * by kill -9 left 71 documents.
     */
    static final class CommittingH2Backend extends H2Backend {

        CommittingH2Backend(MVStore store) {
            super(store);
        }

        @Override
        public Document handleMessage(MongoMessage message) {
            try {
                return super.handleMessage(message);
            } finally {
                // Also after a failed command: a batch insert that hit a duplicate key has still
                // written the documents before it, and the reply reports them as inserted.
                commit();
            }
        }

        /**
         * On a normal shutdown, rewrite the live data into a fresh file (H2's "full compaction":
         * a temp file atomically renamed over the store). While running, per-message commits
         * leave the file fragmented (measured: 5,000 small documents under a sustained update
         * load settle at 40-50 MB); this brings it back to the live size (about 1 MB there) in
         * well under a second.
         */
        @Override
        public void close() {
            getMvStore().close(-1);
            super.close(); // the store is closed already; this releases the rest
        }

        @Override
        public QueryResult handleQuery(MongoQuery query) {
            // Legacy OP_QUERY (old drivers, and commands sent through it) gets the same treatment.
            try {
                return super.handleQuery(query);
            } finally {
                commit();
            }
        }

        @Override
        public Document handleCommand(Channel channel, String database, String command, Document query) {
            Document hello = Hello.answer(this, channel, database, command, query);
            return hello != null ? hello : super.handleCommand(channel, database, command, query);
        }
    }

    static final class RosterMemoryBackend extends MemoryBackend {
        @Override
        public Document handleCommand(Channel channel, String database, String command, Document query) {
            Document hello = Hello.answer(this, channel, database, command, query);
            return hello != null ? hello : super.handleCommand(channel, database, command, query);
        }
    }

    /**
     * mongo-java-server 1.47 answers the legacy {@code isMaster} handshake but not the
     * {@code hello} command (MongoDB 4.4.2+). Drivers only send {@code hello} when the server
     * announced {@code helloOk} or when a Stable API version is configured, so this matters for
     * the latter and for tools that run {@code db.runCommand({hello: 1})}. Answer it with the
     * isMaster response plus {@code isWritablePrimary}.
     */
    static final class Hello {
        private Hello() {
        }

        static Document answer(MongoBackend backend, Channel channel, String database, String command,
                               Document query) {
            if (!command.equalsIgnoreCase("hello")) {
                return null;
            }
            Document response = backend.handleCommand(channel, database, "isMaster", query);
            response.put("isWritablePrimary", Boolean.TRUE);
            return response;
        }
    }

    static final class Options {
        String host = "127.0.0.1";
        int port = 0;
        File dataDir;
        boolean memory;
        int threads = 1;
        boolean exitOnStdinClose;

        static Options parse(String[] args) {
            Options o = new Options();
            List<String> rest = new ArrayList<>(List.of(args));
            while (!rest.isEmpty()) {
                String arg = rest.remove(0);
                switch (arg) {
                    case "--host":
                        o.host = value(arg, rest);
                        break;
                    case "--port":
                        o.port = intValue(arg, rest, 0, 65535);
                        break;
                    case "--data":
                        o.dataDir = new File(value(arg, rest)).getAbsoluteFile();
                        break;
                    case "--memory":
                        o.memory = true;
                        break;
                    case "--threads":
                        // Debug only: more than one worker thread lets concurrent updates race.
                        o.threads = intValue(arg, rest, 0, 64);
                        break;
                    case "--exit-on-stdin-close":
                        o.exitOnStdinClose = true;
                        break;
                    default:
                        throw new IllegalArgumentException("unknown argument: " + arg);
                }
            }
            if (o.memory == (o.dataDir != null)) {
                throw new IllegalArgumentException("give exactly one of --data DIR and --memory");
            }
            return o;
        }

        private static String value(String flag, List<String> rest) {
            if (rest.isEmpty()) {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            return rest.remove(0);
        }

        private static int intValue(String flag, List<String> rest, int min, int max) {
            String raw = value(flag, rest);
            try {
                int v = Integer.parseInt(raw);
                if (v < min || v > max) {
                    throw new NumberFormatException();
                }
                return v;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flag + " must be an integer from " + min + " to " + max
                    + ", got " + raw);
            }
        }
    }
}
