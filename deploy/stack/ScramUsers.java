import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;

/**
 * Adds the local stack's SCRAM user to a broker whose data was formatted before the stack had a
 * SASL_SSL listener (a fresh one gets it at format time). Run by libs/stack once per data directory:
 *   java -cp '<kafka libs>/*' ScramUsers.java <bootstrap> <user> <password>
 */
public class ScramUsers {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    try (Admin admin = Admin.create(props)) {
      // One mechanism per request: the broker refuses two changes of one user in a request.
      for (ScramMechanism mechanism : List.of(ScramMechanism.SCRAM_SHA_256, ScramMechanism.SCRAM_SHA_512)) {
        admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(args[1], new ScramCredentialInfo(mechanism, 8192), args[2]))).all().get();
      }
    }
  }
}
